"""Fuzz the native ingest path against the Python path, on mutated seeds from fuzz/corpus/.

Each input is a block of JSONL lines given to `process_block` twice, on the C path and on the
Python path (the reference): any difference in staged lines, COPY tuples, keys, rejects or
counts, and any exception, is a finding. Run it on the sanitized build (AddressSanitizer and
UndefinedBehaviorSanitizer, `build_sanitized.py`) so memory errors abort the run:

    python fuzz/native_harness.py --seconds 20              # seeded mutations, bounded
    python fuzz/native_harness.py --atheris -- fuzz/corpus  # coverage-guided (make fuzz)

A finding is written to fuzz/findings/ (or --findings); add it to fuzz/corpus/ with the fix,
where tests/unit/native/test_fuzz_corpus.py replays every input on each `make test`.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import random
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "fuzz" / "corpus"
WHEN = datetime(2025, 6, 1, tzinfo=UTC)
MAX_ROW = 4096
HINTS = (None, "x", "tiktok", "threads")
TOKENS = (b'"', b"\\", b"\\u", b"\\ud800", b"{", b"}", b"[", b"]", b",", b":", b"\x00",
          b"\xff", b"\xc3", b"\xe2\x80\xae", b"\xef\xbb\xbf", b"1e309", b"-", b"9" * 30,
          b"null", b"true", b'"@"', b"\n", b"\r", b" at] ", b"+1 555 010 1234", b'"handle":',
          b'"scraped_at":', b'"extra":{', b'"followers":"1.2K"', b"https://x.com/a")


def seeds(corpus: Path = CORPUS) -> list[bytes]:
    return [p.read_bytes() for p in sorted(corpus.glob("*.jsonl"))]


def mutate(rng: random.Random, data: bytes, pool: list[bytes]) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        roll = rng.random()
        at = rng.randint(0, len(out))
        if roll < 0.3 and out:
            out[min(at, len(out) - 1)] ^= 1 << rng.randint(0, 7)
        elif roll < 0.6:
            out[at:at] = rng.choice(TOKENS)
        elif roll < 0.75 and out:
            del out[at:at + rng.randint(1, 16)]
        elif roll < 0.85 and out:
            start = rng.randint(0, len(out) - 1)
            out[at:at] = out[start:start + rng.randint(1, 64)]
        elif roll < 0.95:
            other = rng.choice(pool)
            cut = rng.randint(0, len(other))
            out[at:] = other[cut:]
        else:
            del out[at:]
    return bytes(out)


def check(data: bytes, hint: str | None, tmp: Path) -> None:
    """Raise AssertionError when the C path and the Python path differ on `data`."""
    from sxp.pipeline.ingest_parallel import process_block

    results = []
    for native in (True, False):
        part = tmp / f"part-{native}"
        part.unlink(missing_ok=True)
        result = process_block(1, data, MAX_ROW, hint, WHEN, "inbox/fuzz.jsonl", 7, str(part),
                               native=native)
        lines = part.read_bytes() if part.exists() else b""
        chunk = result.chunk
        results.append((lines.splitlines(), result.rejects.splitlines(), result.read,
                        result.valid, result.rejected, result.reasons,
                        None if chunk is None else (chunk.rows, list(chunk.ends),
                                                    chunk.platforms, chunk.handles)))
    if results[0] != results[1]:
        names = ("staged lines", "rejects", "read", "valid", "rejected", "reasons", "chunk")
        differ = [n for n, a, b in zip(names, *results, strict=True) if a != b]
        raise AssertionError(f"native and Python paths differ in {differ}")


def _use_sanitized_build() -> None:
    """With SXP_SANITIZED_NATIVE set (see `build_sanitized.sanitizer_env`), load the sanitized
    extension from there in place of the regular build."""
    out = os.environ.get("SXP_SANITIZED_NATIVE")
    if not out:
        return
    import sxp.native

    path = next((Path(out) / "sxp" / "native").glob("_fastrows*.so"))
    spec = importlib.util.spec_from_file_location("sxp.native._fastrows", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["sxp.native._fastrows"] = module
    spec.loader.exec_module(module)
    sxp.native._fastrows = module  # type: ignore[attr-defined]


def _assert_sanitized() -> None:
    from sxp.native import load

    _use_sanitized_build()
    module = load()
    if module is None:
        raise SystemExit("sxp.native._fastrows is not built")
    print(f"native module: {module.__file__}", flush=True)


def run_bounded(seconds: float, seed: int, findings: Path, corpus: Path) -> int:
    _assert_sanitized()
    rng = random.Random(seed)
    pool = seeds(corpus)
    if not pool:
        raise SystemExit(f"no seed inputs in {corpus}")
    deadline = time.monotonic() + seconds
    runs = found = 0
    with tempfile.TemporaryDirectory(prefix="sxp-fuzz-") as tmp:
        while time.monotonic() < deadline:
            data = mutate(rng, rng.choice(pool), pool)
            hint = HINTS[runs % len(HINTS)]
            runs += 1
            try:
                check(data, hint, Path(tmp))
            except Exception:  # noqa: BLE001 - every failure is a finding, kept
                found += 1
                _keep(findings, data, hint, traceback.format_exc())
    print(f"{runs} inputs, {found} findings (seed {seed}, {seconds:.0f} s)", flush=True)
    return 1 if found else 0


def _keep(findings: Path, data: bytes, hint: str | None, error: str) -> None:
    findings.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(data).hexdigest()[:16]
    (findings / f"finding-{name}.jsonl").write_bytes(data)
    (findings / f"finding-{name}.txt").write_text(f"hint: {hint}\n{error}")
    print(f"finding kept in {findings}/finding-{name}.jsonl:\n{error}", file=sys.stderr)


def run_atheris(argv: list[str]) -> None:
    import atheris

    with atheris.instrument_imports(include=["sxp"]):
        from sxp.pipeline import ingest_parallel  # noqa: F401 - instrumented for coverage
    _assert_sanitized()
    tmp = Path(tempfile.mkdtemp(prefix="sxp-fuzz-"))

    def one_input(data: bytes) -> None:
        hint = HINTS[data[0] % len(HINTS)] if data else None
        check(data[1:], hint, tmp)

    atheris.Setup([sys.argv[0], *argv], one_input)
    atheris.Fuzz()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--findings", type=Path, default=ROOT / "fuzz" / "findings")
    parser.add_argument("--atheris", action="store_true",
                        help="coverage-guided with atheris; arguments after -- go to libFuzzer")
    args, rest = parser.parse_known_args()
    if args.atheris:
        run_atheris([a for a in rest if a != "--"])
        return 0
    return run_bounded(args.seconds, args.seed, args.findings, args.corpus)


if __name__ == "__main__":
    raise SystemExit(main())
