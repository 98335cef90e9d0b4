"""The images and the lock files they install from: hadolint-clean, two stages, non-root, the
native extension a build failure when it does not build, every package pinned with hashes."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from sxp.config import repo_root

ROOT = repo_root()
HADOLINT = Path(sys.executable).parent / "hadolint"
IMAGES = {"Dockerfile.sxp-api": ("api", '["sxp", "api"'),
          "Dockerfile.sxp-worker": ("core", '["sxp", "worker"]')}


def _hadolint(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(HADOLINT), "--no-color", "--config", str(ROOT / ".hadolint.yaml"),
                           *map(str, paths)], capture_output=True, text=True, timeout=60,
                          check=False)


def _pins(lock: str) -> dict[str, str]:
    text = (ROOT / "requirements" / f"{lock}.lock").read_text()
    return {name.lower(): version for name, version in
            re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", text, re.M)}


def test_dockerfiles_pass_hadolint() -> None:
    linted = _hadolint(*(ROOT / name for name in IMAGES))
    assert linted.returncode == 0 and not linted.stdout.strip(), linted.stdout + linted.stderr


def test_hadolint_catches_what_it_should(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install flask\nUSER root\nCMD python app.py\n")
    found = _hadolint(bad)
    assert found.returncode != 0
    for rule in ("DL3007", "DL3013", "DL3002", "DL3025"):
        assert rule in found.stdout


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_images_build_in_two_stages_from_the_lock_and_run_as_a_user(name: str) -> None:
    lock, cmd = IMAGES[name]
    text = (ROOT / name).read_text()
    build, _, run = text.partition("\nFROM python:3.11-slim-bookworm\n")
    assert "FROM python:3.11-slim-bookworm AS build" in build and run
    assert f"--require-hashes -r requirements/{lock}.lock -r requirements/build.lock" in build
    assert "SXP_NATIVE_REQUIRED=1" in build
    assert 'import sxp.native._fastrows, sxp.native._fastcards"' in build
    assert "--no-build-isolation" in build  # setuptools from build.lock, not a fresh resolve
    assert "gcc" not in run and "pip install" not in run
    assert "COPY --from=build /opt/sxp /opt/sxp" in run
    assert "COPY migrations/ /app/migrations/" in run
    users = re.findall(r"^USER (\S+)$", run, re.M)
    assert users == ["10001"]
    assert re.search(rf"^CMD {re.escape(cmd)}", run, re.M)


def test_lock_files_pin_what_pyproject_asks_for_with_the_same_versions() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    core, api, dev, build = (_pins(n) for n in ("core", "api", "dev", "build"))
    optional = project["project"]["optional-dependencies"]
    for lock, requirements in ((core, project["project"]["dependencies"]),
                               (api, project["project"]["dependencies"] + optional["server"]),
                               (dev, project["project"]["dependencies"] + optional["dev"]),
                               (build, project["build-system"]["requires"])):
        for line in requirements:
            requirement = Requirement(line)
            name = requirement.name.lower()
            assert name in lock, f"{name} is not in a lock file"
            assert requirement.specifier.contains(lock[name]), (name, lock[name])
    for lock in (core, api, build):
        assert {n: v for n, v in lock.items() if dev.get(n) != v} == {}
    assert set(core) <= set(api)
    for lock in ("core", "api", "dev", "build"):
        text = (ROOT / "requirements" / f"{lock}.lock").read_text()
        blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
        assert blocks and all("--hash=sha256:" in b for b in blocks if "==" in b), lock
