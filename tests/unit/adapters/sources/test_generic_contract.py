"""The generic import format: schema, examples, and the generator all agree with the reader."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema

from sxp.adapters.sources.readers import read_jsonl
from sxp.adapters.sources.shapes import detect_platform, map_row
from sxp.config import repo_root
from sxp.domain.profile_builder import build_profile
from sxp.domain.profiles import Profile
from sxp.sample.generate import generate_profiles

CONTRACTS = repo_root() / "contracts"
WHEN = datetime(2025, 1, 1, tzinfo=UTC)


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((CONTRACTS / "generic_profile.v1.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _build(row: dict[str, Any]) -> dict[str, Any]:
    platform = detect_platform(row, None)
    return build_profile(map_row(row, platform), platform, WHEN)


def test_examples_validate_and_ingest() -> None:
    validator = _validator()
    path: Path = CONTRACTS / "examples" / "generic_profile.v1.jsonl"
    records = list(read_jsonl(io.BytesIO(path.read_bytes()), 100_000))
    assert len(records) == 3
    for record in records:
        assert record.value is not None
        validator.validate(record.value)
        profile = Profile.model_validate(_build(record.value))
        assert "@example.com" not in (profile.bio or "")
    handles = [_build(r.value)["handle"] for r in records if r.value]
    assert handles == ["avery.lark", "jordan_reed", "quinn.vale"]


def test_generated_generic_rows_follow_the_schema() -> None:
    validator = _validator()
    rows = list(generate_profiles(300, seed=3, bad_rate=0.0, shapes=["generic"]))
    for row in rows:
        validator.validate(row)
        Profile.model_validate(_build(row))


def test_generator_is_seeded_and_plants_duplicates_and_defects() -> None:
    first = list(generate_profiles(2000, seed=5))
    assert first == list(generate_profiles(2000, seed=5))
    assert first != list(generate_profiles(2000, seed=6))
    bad = sum(1 for row in first if _rejected(row))
    assert 5 <= bad <= 60
    handles = [_build(r)["handle"] for r in first if not _rejected(r)]
    assert 40 <= len(handles) - len(set(handles)) <= 200


def _rejected(row: dict[str, Any]) -> bool:
    from sxp.domain.quality import RowRejected

    try:
        _build(row)
    except RowRejected:
        return True
    return False
