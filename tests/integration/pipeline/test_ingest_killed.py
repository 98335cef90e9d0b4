"""An ingest process killed half way through a file (parts published, Tier 1 half written) is
finished by a rerun: nothing of the killed attempt stays, nothing is lost or doubled."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

import orjson

from sxp.bootstrap import App
from sxp.config import Settings
from sxp.pipeline.ingest import ingest_file
from sxp.pipeline.scan import scan
from sxp.sample.generate import generate_profiles

ROWS = 6000
# parser processes and 64 kB blocks for a small file, as for a large one
SMALL_BLOCKS = (
    "import sxp.pipeline.ingest as ingest, sxp.pipeline.ingest_parallel as parallel\n"
    "ingest.MIN_PARALLEL_BYTES = 0\n"
    "ingest.worker_count = lambda: 2\n"
    "parallel.BLOCK_BYTES = 64 << 10\n")
KILLED_AFTER_FIVE_PARTS = SMALL_BLOCKS + (  # parts upload on several threads: maybe one more
    "import os, signal, sys\n"
    "from sxp.bootstrap import bootstrap\n"
    "app = bootstrap()\n"
    "move_file, published = app.store.move_file, []\n"
    "def move_then_die(key, *args):\n"
    "    move_file(key, *args)\n"
    "    published.append(key)\n"
    "    if len(published) >= 5:\n"
    "        os.kill(os.getpid(), signal.SIGKILL)\n"
    "app.store.move_file = move_then_die\n"
    "ingest.ingest_file(app, int(sys.argv[1]))\n")


def _source(app: App) -> dict[str, Any]:
    with app.connect() as conn:
        row = conn.execute("SELECT * FROM social.source_files").fetchone()
    assert row is not None
    return dict(row)


def _tier1_count(app: App) -> int:
    with app.connect() as conn:
        row = conn.execute("SELECT count(*) AS n FROM social.raw_social_profiles").fetchone()
    assert row is not None
    return int(row["n"])


def _child_env(settings: Settings) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": settings.database_dsn or "",
            "SPACES_ENDPOINT": settings.spaces_endpoint or "",
            "SPACES_BUCKET": settings.spaces_bucket, "SPACES_KEY": "testing",
            "SPACES_SECRET": "testing", "SXP_HOME": str(settings.home),
            "SXP_LOG_LEVEL": "WARNING"}


def test_an_ingest_killed_mid_file_is_finished_by_a_rerun(app: App, settings: Settings,
                                                          monkeypatch: Any) -> None:
    data = b"".join(orjson.dumps(row) + b"\n" for row in generate_profiles(ROWS, seed=5))
    app.store.put_bytes("inbox/pool.jsonl", data)
    scan(app)
    source_id = int(_source(app)["id"])
    killed = subprocess.run([sys.executable, "-c", KILLED_AFTER_FIVE_PARTS, str(source_id)],
                            env=_child_env(settings), timeout=120, check=False)
    assert killed.returncode == -signal.SIGKILL
    prefix = f"stage/file-{source_id:08d}/normalized/"
    assert len(list(app.store.list(prefix))) >= 5  # published before the kill ...
    assert _source(app)["state"] == "ingesting" and _tier1_count(app) == 0  # ... rolled back

    import sxp.pipeline.ingest as ingest_module
    import sxp.pipeline.ingest_parallel as parallel_module

    monkeypatch.setattr(ingest_module, "MIN_PARALLEL_BYTES", 0)  # as SMALL_BLOCKS does
    monkeypatch.setattr(ingest_module, "worker_count", lambda: 2)
    monkeypatch.setattr(parallel_module, "BLOCK_BYTES", 64 << 10)
    outcome = ingest_file(app, source_id)
    source = _source(app)
    assert (outcome.state, source["rows_read"]) == ("ingested", ROWS)
    assert _tier1_count(app) == source["rows_loaded"] > ROWS * 0.9
    assert source["rows_loaded"] + source["rows_deduped"] + source["rows_rejected"] == ROWS
    keys = [info.key for info in app.store.list(prefix)]
    assert keys == [f"{prefix}part-{i:05d}.jsonl" for i in range(source["normalized_parts"])]
    assert source["normalized_parts"] > 5
    lines = b"".join(app.store.get_bytes(key) for key in keys).splitlines()
    assert len(lines) == ROWS - source["rows_rejected"]
