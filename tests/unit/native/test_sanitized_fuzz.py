"""A short, bounded fuzz run of the native path under AddressSanitizer and
UndefinedBehaviorSanitizer: mutated seeds from fuzz/corpus, each compared with the Python path.
`make fuzz` runs the coverage-guided version for as long as asked. The cards' extension runs its
differential tests (test_fastcards.py) under the same sanitizers."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "fuzz"))

from build_sanitized import build, sanitizer_env  # noqa: E402

FUZZ_SECONDS = 20


def test_native_path_survives_mutated_input_under_sanitizers(tmp_path: Path) -> None:
    out = tmp_path / "sanitized"
    built = build(out)
    findings = tmp_path / "findings"
    run = subprocess.run(
        [sys.executable, str(ROOT / "fuzz" / "native_harness.py"), "--seconds",
         str(FUZZ_SECONDS), "--seed", "20261201", "--findings", str(findings)],
        env=sanitizer_env(out), capture_output=True, text=True, timeout=FUZZ_SECONDS + 120)
    report = run.stdout + run.stderr[-4000:]
    assert f"native module: {built}" in run.stdout, report  # the sanitized build ran
    assert run.returncode == 0, report  # 86/87: a sanitizer fired; 1: a difference was kept
    assert " 0 findings" in run.stdout, report
    assert not findings.exists() or not any(findings.iterdir())


LOAD_SANITIZED_CARDS = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("sxp.native._fastcards", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
sys.modules["sxp.native._fastcards"] = module  # what sxp.native imports: the sanitized build
print("native module:", module.__file__, flush=True)
import pytest
sys.exit(pytest.main(["-q", *sys.argv[2:]]))
"""


def test_card_numbers_rows_and_names_pass_their_differential_tests_under_sanitizers(
        tmp_path: Path) -> None:
    built = build(tmp_path / "sanitized", module="_fastcards")
    tests = ROOT / "tests" / "unit" / "native"
    run = subprocess.run(
        [sys.executable, "-c", LOAD_SANITIZED_CARDS, str(built),
         str(tests / "test_fastcards.py"), str(tests / "test_fastcards_names.py")],
        cwd=ROOT, env=sanitizer_env(tmp_path / "sanitized"), capture_output=True, text=True,
        timeout=300)
    report = run.stdout[-4000:] + run.stderr[-4000:]
    assert f"native module: {built}" in run.stdout, report  # the sanitized build ran
    assert run.returncode == 0 and " passed" in run.stdout, report  # 86/87: a sanitizer fired


def test_a_memory_error_in_the_sanitized_build_is_caught(tmp_path: Path) -> None:
    """The sanitizers are really on: a read after free in a tiny extension built with the same
    flags stops the process with AddressSanitizer's report."""
    source = tmp_path / "oob.c"
    source.write_text(
        "#include <Python.h>\n"
        "static PyObject *f(PyObject *s, PyObject *a) { char *p = calloc(4, 1);\n"
        "  free(p); volatile char c = p[1]; return PyLong_FromLong(c); }\n"
        "static PyMethodDef m[] = {{\"f\", f, METH_NOARGS, NULL}, {NULL}};\n"
        "static struct PyModuleDef d = {PyModuleDef_HEAD_INIT, \"oob\", NULL, -1, m,\n"
        "                                NULL, NULL, NULL, NULL};\n"
        "PyMODINIT_FUNC PyInit_oob(void) { return PyModule_Create(&d); }\n")
    from build_sanitized import FLAGS, compiler

    target = tmp_path / f"oob{sysconfig.get_config_var('EXT_SUFFIX')}"
    subprocess.run([compiler(), *FLAGS, f"-I{sysconfig.get_paths()['include']}", str(source),
                    "-o", str(target)], check=True)
    run = subprocess.run([sys.executable, "-c", "import oob; oob.f()"], cwd=tmp_path,
                         env=sanitizer_env(tmp_path), capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 86 and "heap-use-after-free" in run.stderr, run.stderr[-2000:]
