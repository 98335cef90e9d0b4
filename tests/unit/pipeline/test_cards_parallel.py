"""Scoring on worker processes gives exactly the bytes scoring in process gives, chunk for
chunk and in order; small steps stay in process."""

from __future__ import annotations

import gzip

import orjson

from sxp.adapters.rules_file import load_ruleset
from sxp.config import Settings
from sxp.domain.cards import SIGNAL_FIELDS
from sxp.pipeline.cards_parallel import (
    MIN_PARALLEL_PROFILES,
    card_scorer,
    score_rows,
    worker_count,
)

from ..profile_rows import profile_rows


def test_workers_give_what_the_process_gives_in_order() -> None:
    ruleset = load_ruleset(Settings())
    rows = [tuple(r[f] for f in SIGNAL_FIELDS) for r in profile_rows(3000)]
    chunks = [rows[i:i + 250] for i in range(0, len(rows), 250)]
    with card_scorer(ruleset, 0) as score:
        here = list(score(iter(chunks)))
    with card_scorer(ruleset, 2) as score:
        there = list(score(iter(chunks)))
    assert there == here
    assert [c.count for c in there] == [len(c) for c in chunks]
    # one COPY row and one staged line per profile, in order
    assert [len(c.copy_rows.splitlines()) for c in here] == [len(c) for c in chunks]
    staged = gzip.decompress(b"".join(c.staged for c in here)).splitlines()
    assert [orjson.loads(line)["profile_id"] for line in staged] == [r[0] for r in rows]
    labels = {labeling.labels.get("execution_label")
              for _profile, _scores, labeling in score_rows(ruleset, rows)}
    assert len(labels) >= 3  # the rules decide differently across the rows


def test_small_steps_score_in_process() -> None:
    assert worker_count(MIN_PARALLEL_PROFILES - 1) == 0
    assert worker_count(MIN_PARALLEL_PROFILES) in (0, 2)  # 0 on a one-core machine
