"""Where a C compiler exists, a broken native extension fails the build (and so the install);
without one, sxp builds on its Python path."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _build(tmp: Path, *, break_source: bool, cc: str | None = None
           ) -> subprocess.CompletedProcess[str]:
    native = tmp / "shared" / "sxp" / "native"
    native.mkdir(parents=True)
    shutil.copy(ROOT / "setup.py", tmp / "setup.py")
    for source in (ROOT / "shared" / "sxp" / "native").glob("*.[ch]"):
        shutil.copy(source, native / source.name)
    if break_source:
        with (native / "fastrows.c").open("a") as out:
            out.write("\nthis is not C;\n")
    env = {k: v for k, v in os.environ.items() if k != "SXP_NATIVE_REQUIRED"}
    if cc is not None:
        env["CC"] = cc
    return subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--build-lib",
                           str(tmp / "out"), "--build-temp", str(tmp / "obj")],
                          cwd=tmp, env=env, capture_output=True, text=True, timeout=300)


def test_a_failed_build_fails_where_a_compiler_exists(tmp_path: Path) -> None:
    assert shutil.which(os.environ.get("CC") or "cc") or shutil.which("gcc")
    run = _build(tmp_path, break_source=True)
    assert run.returncode != 0, run.stdout + run.stderr
    assert "fastrows.c" in run.stderr


def test_without_a_compiler_the_build_goes_on_without_the_extension(tmp_path: Path) -> None:
    run = _build(tmp_path, break_source=False, cc="/nonexistent/cc")
    assert run.returncode == 0, run.stdout + run.stderr
    assert not list((tmp_path / "out").rglob("_fastrows*.so"))
