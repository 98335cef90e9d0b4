"""Build sxp's native extensions with AddressSanitizer and UndefinedBehaviorSanitizer (gcc).

    python fuzz/build_sanitized.py OUT_DIR              # OUT_DIR/sxp/native/_fastrows*.so
                                                        # (`build(..., module="_fastcards")`
                                                        # for the cards' one)
    python fuzz/build_sanitized.py OUT_DIR -- CMD ...   # then run CMD under the sanitizers
    python fuzz/build_sanitized.py --libfuzzer OUT_DIR -- CMD ...

`--libfuzzer` builds with clang and `-fsanitize=fuzzer-no-link` too, so atheris' libFuzzer sees
the C code's coverage, and preloads atheris' own ASan runtime (`asan_with_fuzzer.so`) instead of
gcc's, which would take libFuzzer's coverage callbacks (`make fuzz`).

`sanitizer_env(OUT_DIR)` gives the environment to run the fuzz harness with it: gcc's libasan
and libubsan preloaded, leak checks off (CPython keeps its objects at exit), any error fatal,
and SXP_SANITIZED_NATIVE naming the build the harness loads in place of the regular one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NATIVE = ROOT / "shared" / "sxp" / "native"
FLAGS = ["-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined",
         "-fno-sanitize-recover=undefined", "-std=c11", "-Wall", "-Wextra", "-shared", "-fPIC"]


def compiler(libfuzzer: bool = False) -> str:
    return "clang" if libfuzzer else os.environ.get("CC") or "gcc"


def build(out_dir: Path, libfuzzer: bool = False, module: str = "_fastrows") -> Path:
    """`module` (`_fastrows`, the ingest's; or `_fastcards`) built from its source."""
    target = out_dir / "sxp" / "native" / f"{module}{sysconfig.get_config_var('EXT_SUFFIX')}"
    sources = sorted(NATIVE.glob("*.[ch]"))
    if target.exists() and all(s.stat().st_mtime < target.stat().st_mtime for s in sources):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    include = sysconfig.get_paths()["include"]
    flags = [*FLAGS, "-fsanitize=fuzzer-no-link"] if libfuzzer else FLAGS
    if module == "_fastcards":
        flags = [*flags, "-ffp-contract=off"]  # as setup.py builds it
    subprocess.run([compiler(libfuzzer), *flags, f"-I{include}",
                    str(NATIVE / f"{module.lstrip('_')}.c"), "-o", str(target)], check=True)
    return target


def runtime_library(name: str) -> str:
    """The path of gcc's lib<name>.so (asan, ubsan) to preload into the Python process."""
    path = subprocess.run([compiler(), f"-print-file-name=lib{name}.so"], check=True,
                          capture_output=True, text=True).stdout.strip()
    if not os.path.isabs(path):
        raise RuntimeError(f"{compiler()} has no lib{name}.so (install its sanitizer runtime)")
    return path


def sanitizer_env(out_dir: Path, libfuzzer: bool = False) -> dict[str, str]:
    env = dict(os.environ)
    if libfuzzer:
        import atheris

        env["LD_PRELOAD"] = str(Path(atheris.path()) / "asan_with_fuzzer.so")
    else:
        env["LD_PRELOAD"] = " ".join([runtime_library("asan"), runtime_library("ubsan")])
    env["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=0:exitcode=86:halt_on_error=1"
    env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1:exitcode=87"
    env["SXP_SANITIZED_NATIVE"] = str(out_dir)
    return env


if __name__ == "__main__":
    args = sys.argv[1:]
    command = args[args.index("--") + 1:] if "--" in args else []
    args = args[:args.index("--")] if "--" in args else args
    libfuzzer = "--libfuzzer" in args
    args = [a for a in args if a != "--libfuzzer"]
    out = Path(args[0]) if args else ROOT / ".sxp" / "sanitized"
    print(build(out, libfuzzer), flush=True)
    if command:
        os.execvpe(command[0], command, sanitizer_env(out, libfuzzer))
