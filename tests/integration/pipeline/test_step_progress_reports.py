"""While a run goes, its long steps say how far they are (`report_progress`), in units with a
total, so `sxp run` can show a bar, a rate and an ETA: ingest the bytes of the file read,
cards the profiles scored and labeled, export the cards written (and label, relabeling under a
new rules file, the cards labeled: `test_label_step`)."""

from __future__ import annotations

from collections import defaultdict

import orjson

from sxp.adapters.postgres.queue import Job
from sxp.bootstrap import App
from sxp.pipeline.run import run_pipeline

ROWS = 3000


def _rows() -> bytes:
    return b"".join(orjson.dumps({
        "platform": "tiktok", "handle": f"progress_user_{i}",
        "display_name": f"Avery Tester{chr(97 + i % 26)}", "bio": "Realtor in Austin",
        "location": "Austin, TX", "followers": 1000 + i, "posts": 50, "likes": 4000,
        "bio_url": f"https://progress{i}.example.com",
        "account_created_at": "2020-01-01T00:00:00Z"}) + b"\n" for i in range(ROWS))


def test_the_long_steps_report_units_up_to_their_totals(app: App) -> None:
    body = _rows()
    app.store.put_bytes("inbox/progress/pool.jsonl", body)
    reports: dict[tuple[str, int], list[tuple[int, int | None, str]]] = defaultdict(list)

    def advance(job: Job, done: int, total: int | None, unit: str) -> None:
        reports[(job.kind, job.id)].append((done, total, unit))

    run_pipeline(app, on_advance=advance, max_idle_wait_s=5)

    def of(kind: str) -> list[list[tuple[int, int | None, str]]]:
        return [seen for (k, _), seen in sorted(reports.items()) if k == kind]

    assert [seen[-1] for seen in of("ingest")] == [(len(body), len(body), "bytes")]
    for kind, unit in (("cards", "profiles"), ("export", "cards")):
        assert of(kind), kind
        for seen in of(kind):
            assert {u for _, _, u in seen} == {unit}, kind
            done = [d for d, _, _ in seen]
            assert done == sorted(done), kind  # never backwards within a job
            assert seen[-1][1] is not None and seen[-1][0] == seen[-1][1], kind
    assert [seen[-1][0] for seen in of("cards")] == [ROWS]
    assert not of("label")  # the cards step labeled what it built: nothing left to report
