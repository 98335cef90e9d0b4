"""`sxp migrate` (the pre-deploy job) needs the database and nothing else."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_migrate_runs_with_only_the_database(other_database_url: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SXP_", "SPACES_"))}
    env.update({"DATABASE_URL": other_database_url, "SXP_ENV": "prod",
                "SXP_SERVICE": "sxp-migrate", "SXP_HOME": str(tmp_path),
                # no bucket reachable and no keys: the job's spec gives it none
                "SPACES_ENDPOINT": "http://127.0.0.1:9"})
    proc = subprocess.run([str(Path(sys.executable).parent / "sxp"), "migrate"], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "migrations up to date"
