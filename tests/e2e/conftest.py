"""Drive the `sxp` console script and the `aws` CLI as a user would, against real services."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sxp.bootstrap import App
from sxp.config import Settings

BIN = Path(sys.executable).parent


class Cli:
    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env = env
        self.cwd = cwd
        self.output: list[str] = []

    def sxp(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self._run([str(BIN / "sxp"), *args], check)

    def aws(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self._run([str(BIN / "aws"), "--endpoint-url", self.env["SPACES_ENDPOINT"],
                          *args], True)

    def log_text(self) -> str:
        """The JSON logs the commands wrote to their log file (SXP_HOME/logs, rotated)."""
        folder = Path(self.env["SXP_HOME"]) / "logs"
        return "".join(p.read_text() for p in sorted(folder.glob("sxp.log*")))

    def status(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.sxp("status", "--json").stdout)
        return result

    def _run(self, cmd: list[str], check: bool) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(cmd, env=self.env, cwd=self.cwd, capture_output=True, text=True,
                              timeout=300, check=False)
        self.output += [proc.stdout, proc.stderr]
        if check and proc.returncode != 0:
            raise AssertionError(f"{cmd[0]} {cmd[1:3]} exited {proc.returncode}:\n"
                                 f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        return proc


@pytest.fixture
def cli(settings: Settings, app: App, tmp_path: Path) -> Cli:
    """`app` first, so the bucket exists before the aws CLI drops files into it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SXP_", "SPACES_"))}
    env.update({
        "DATABASE_URL": str(settings.database_dsn),
        "SPACES_ENDPOINT": str(settings.spaces_endpoint),
        "SPACES_BUCKET": settings.spaces_bucket,
        "SPACES_KEY": "testing", "SPACES_SECRET": "testing",
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "SXP_HOME": str(tmp_path / "cli-home"),
        "SXP_ENV": "e2e",
        "SXP_LOG_LEVEL": "DEBUG",
    })
    return Cli(env, tmp_path)
