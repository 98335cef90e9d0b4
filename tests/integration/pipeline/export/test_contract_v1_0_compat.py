"""Backward compatibility: a bundle written today validates against the frozen Lead Card
Batch v1.0 schemas (`contracts/v1.0/`, never edited), record by record and its manifest; the
sidecars validate against their own schemas."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import jsonschema

from sxp.bootstrap import App
from sxp.config import repo_root
from sxp.pipeline import consumers as use
from sxp.pipeline import export as export_step

Seed = Callable[..., list[int]]
FROZEN = repo_root() / "contracts" / "v1.0"
# sha256 of the v1.0 files as first shipped: a change to them fails here, on purpose
FROZEN_SHA256 = {
    "lead_card_batch.v1.schema.json":
        "12613b7bd85840f2f48471a75f17ee86d6dfb76eb914d97631b185b144aff461",
    "lead_card_batch_manifest.v1.schema.json":
        "d758901d26a50f393e93db6866a5272e435b9962a941da566fb38a29cad7b7eb",
}


def _schema(path: Path) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(path.read_text()),
                                           format_checker=jsonschema.FormatChecker())


def test_frozen_schemas_are_unchanged() -> None:
    for name, sha in FROZEN_SHA256.items():
        assert hashlib.sha256((FROZEN / name).read_bytes()).hexdigest() == sha, name


def test_todays_bundles_validate_against_v1_0(app: App, seed: Seed) -> None:
    use.add_consumer(app, name="pros", transport="api", settings={}, include_contact=False)
    ids = seed(2) + seed(1, 2, with_contact=True)
    seed(1, 3, enrich_state="ineligible", execution_label="export_only")
    first = export_step.export(app)
    with app.connect() as conn:  # a new version of one card, and a withdrawal for `pros`
        conn.execute("UPDATE execution.lead_cards SET execution_label = 'hold' WHERE id = %s",
                     (ids[0],))
        conn.commit()
    use.add_consumer(app, name="crm", transport="api", settings={},
                     execution_labels=["hold", "enrich_now"])
    second = export_step.export(app)
    records_v10 = _schema(FROZEN / "lead_card_batch.v1.schema.json")
    manifest_v10 = _schema(FROZEN / "lead_card_batch_manifest.v1.schema.json")
    sidecars = {"versions.jsonl": _schema(repo_root() / "contracts"
                                          / "lead_card_version.v1.schema.json"),
                "dnc.jsonl": _schema(repo_root() / "contracts"
                                     / "lead_card_dnc_status.v1.schema.json"),
                "handoff.json": _schema(repo_root() / "contracts"
                                        / "lead_card_batch_handoff.v1.schema.json")}
    checked = 0
    for result in first + second:
        folder = result.manifest_key.removesuffix("manifest.json")
        manifest = json.loads(app.store.get_bytes(result.manifest_key))
        manifest_v10.validate(manifest)
        for entry in manifest["files"]:
            body = app.store.get_bytes(folder + entry["path"])
            if entry["path"] == "handoff.json":
                sidecars["handoff.json"].validate(json.loads(body))
                continue
            lines = (gzip.decompress(body) if entry["compression"] == "gzip" else body
                     ).splitlines()
            validator = sidecars.get(entry["path"], records_v10)
            for line in lines:
                validator.validate(json.loads(line))
                checked += 1
    assert {r.consumer for r in second} == {"default", "pros", "crm"}
    assert checked > 10
