"""Every input of fuzz/corpus (the seeds, and each finding of a fuzz run once it was fixed)
gives the same result on the native path as on the Python path, under every platform hint."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "fuzz"))

from native_harness import CORPUS, HINTS, check  # noqa: E402

INPUTS = sorted(CORPUS.glob("*.jsonl"))


def test_the_corpus_holds_the_malformed_file_seeds_and_the_findings() -> None:
    names = {p.stem for p in INPUTS}
    assert len(INPUTS) >= 25
    assert {"raw-lines", "source-truncated-jsonl-tail", "finding-infinite-numbers"} <= names


@pytest.mark.parametrize("path", INPUTS, ids=[p.stem for p in INPUTS])
def test_corpus_input_matches_the_python_path(path: Path, tmp_path: Path) -> None:
    from sxp.native import load

    assert load() is not None
    for hint in HINTS:
        check(path.read_bytes(), hint, tmp_path)
