"""Lead Card Batch v1 models and the JSON Schemas shipped in contracts/."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import jsonschema
import pytest
from pydantic import ValidationError

from sxp.config import repo_root
from sxp.domain.bundle import LeadCardRecord, Manifest, lead_card_batch_schemas
from sxp.domain.handoff import handoff_schemas

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _record(**overrides: object) -> dict[str, object]:
    record: dict[str, object] = {
        "card_id": 7, "platform": "threads", "handle": "sample_maker",
        "profile": {"display_name": "Sample Maker", "followers": 120, "scraped_at": NOW},
        "scores": {"readiness": "ready", "readiness_score": 0.8, "base_confidence": 0.6},
        "labels": {"execution_label": "enrich_now", "ruleset_version": "v1",
                   "rules_fired": ["r1"]},
        "enrichment": {"status": "enriched"},
        "contact": {"provider": "skiptrace", "first_name": "Sam", "emails": ["s@example.com"],
                    "phones": [{"number": "+15550100001", "line_type": "mobile", "dnc": False,
                                "tcpa": False}], "fetched_at": NOW},
        "dnc": False,
        "provenance": {"profile_id": 3, "profile_hash": "h", "card_created_at": NOW},
    }
    record.update(overrides)
    return record


def test_contract_files_match_the_models() -> None:
    for name, schema in {**lead_card_batch_schemas(), **handoff_schemas()}.items():
        shipped = json.loads((repo_root() / "contracts" / name).read_text())
        assert shipped == json.loads(json.dumps(schema)), f"regenerate contracts/{name}"


def test_record_round_trips_and_validates_against_the_json_schema() -> None:
    record = LeadCardRecord.model_validate(_record())
    data = json.loads(record.model_dump_json())
    assert data["schema_version"] == "lead_card.v1"
    schema = json.loads((repo_root() / "contracts/lead_card_batch.v1.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(data)
    data["platform"] = "myspace"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(data)


@pytest.mark.parametrize("change", [
    {"platform": "myspace"}, {"handle": ""}, {"unknown_field": 1},
    {"enrichment": {"status": "queued"}},
    {"scores": {"readiness": "ready", "readiness_score": 1.5, "base_confidence": 0.1}},
])
def test_record_rejects_bad_values(change: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        LeadCardRecord.model_validate(_record(**change))


def test_manifest_requires_sha256_hex_and_a_file() -> None:
    base = {"batch_id": "xb-1", "env": "test", "created_at": NOW, "record_count": 1,
            "counts_by_execution_label": {"enrich_now": 1},
            "counts_by_enrichment_status": {"enriched": 1},
            "files": [{"path": "lead_cards.jsonl.gz", "sha256": "a" * 64, "size_bytes": 10,
                       "record_count": 1, "content_type": "application/x-ndjson",
                       "compression": "gzip"}]}
    manifest = Manifest.model_validate(base)
    assert manifest.schema_version == "lead_card_batch.v1"
    schema = json.loads(
        (repo_root() / "contracts/lead_card_batch_manifest.v1.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(json.loads(manifest.model_dump_json()))
    with pytest.raises(ValidationError):
        Manifest.model_validate({**base, "files": []})
    bad_file = dict(base["files"][0], sha256="xyz")  # type: ignore[index]
    with pytest.raises(ValidationError):
        Manifest.model_validate({**base, "files": [bad_file]})
