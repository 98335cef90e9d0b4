"""`verify_bundle` on bundles written by the export step: good, tampered, missing, bad record."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from sxp.bootstrap import App
from sxp.errors import BundleInvalid
from sxp.pipeline import export as export_step
from sxp.pipeline.runner import drain
from sxp.pipeline.verify import verify_bundle

Seed = Callable[..., list[int]]


def _exported(app: App, seed: Seed) -> export_step.ExportResult:
    seed(3)
    seed(1, 3, with_contact=True)
    (result,) = export_step.export(app)
    return result


def _records_key(result: export_step.ExportResult) -> str:
    return result.manifest_key.replace("manifest.json", "lead_cards.jsonl.gz")


def test_good_bundle_verifies_over_s3_url_and_from_a_local_copy(
        app: App, seed: Seed, tmp_path: Path) -> None:
    result = _exported(app, seed)
    assert result.manifest_url.startswith("s3://")
    report = verify_bundle(app, result.manifest_url)
    assert report.ok and report.record_count == 4 and report.batch_id == result.batch_id
    assert report.counts_by_execution_label == {"enrich_now": 4}
    assert verify_bundle(app.store, result.manifest_url).record_count == 4

    folder = result.manifest_key.removesuffix("manifest.json")
    for name in ("manifest.json", "lead_cards.jsonl.gz", "versions.jsonl", "dnc.jsonl",
                 "handoff.json"):
        (tmp_path / name).write_bytes(app.store.get_bytes(folder + name))
    assert verify_bundle(None, str(tmp_path / "manifest.json")).record_count == 4


def test_tampered_file_fails_with_checksum_problem(app: App, seed: Seed) -> None:
    result = _exported(app, seed)
    lines = gzip.decompress(app.store.get_bytes(_records_key(result))).splitlines(keepends=True)
    record = orjson.loads(lines[0])
    record["handle"] = "someone_else"
    lines[0] = orjson.dumps(record) + b"\n"
    app.store.put_bytes(_records_key(result), gzip.compress(b"".join(lines)))
    with pytest.raises(BundleInvalid, match="lead_cards.jsonl.gz: sha256 mismatch") as info:
        verify_bundle(app, result.manifest_url)
    assert info.value.reason_code == "bundle_invalid"


def test_missing_file_fails_clearly(app: App, seed: Seed, tmp_path: Path) -> None:
    result = _exported(app, seed)
    (tmp_path / "manifest.json").write_bytes(app.store.get_bytes(result.manifest_key))
    with pytest.raises(BundleInvalid, match="lead_cards.jsonl.gz: file missing"):
        verify_bundle(app, str(tmp_path / "manifest.json"))
    with pytest.raises(BundleInvalid, match="manifest cannot be read") as info:
        verify_bundle(app, result.manifest_url.replace("manifest.json", "nope.json"))
    assert info.value.reason_code == "manifest_missing"


def test_bad_record_with_matching_checksum_fails_on_schema(
        app: App, seed: Seed, canaries: tuple[str, str]) -> None:
    result = _exported(app, seed)
    lines = gzip.decompress(app.store.get_bytes(_records_key(result))).splitlines(keepends=True)
    record = orjson.loads(lines[3])
    assert record["contact"]["emails"] == [canaries[0]]
    record["platform"] = "myspace"
    del record["scores"]
    lines[3] = orjson.dumps(record) + b"\n"
    data = gzip.compress(b"".join(lines), mtime=0)
    app.store.put_bytes(_records_key(result), data)
    manifest = orjson.loads(app.store.get_bytes(result.manifest_key))
    manifest["files"][0].update(sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data))
    app.store.put_bytes(result.manifest_key, orjson.dumps(manifest))
    with pytest.raises(BundleInvalid) as info:
        verify_bundle(app, result.manifest_url)
    message = info.value.message
    assert "lead_cards.jsonl.gz line 4: not a lead_card.v1 record" in message
    assert "platform" in message and "scores: Field required" in message
    assert "sha256" not in message and canaries[0] not in message


def test_count_mismatch_and_invalid_manifest_fail(app: App, seed: Seed) -> None:
    result = _exported(app, seed)
    manifest = orjson.loads(app.store.get_bytes(result.manifest_key))
    manifest["record_count"] = 5
    manifest["files"][0]["record_count"] = 5
    app.store.put_bytes(result.manifest_key, orjson.dumps(manifest))
    with pytest.raises(BundleInvalid, match="4 record\\(s\\), manifest says 5"):
        verify_bundle(app, result.manifest_url)
    manifest["schema_version"] = "lead_card_batch.v0"
    app.store.put_bytes(result.manifest_key, orjson.dumps(manifest))
    with pytest.raises(BundleInvalid, match="schema_version") as info:
        verify_bundle(app, result.manifest_url)
    assert info.value.reason_code == "manifest_invalid"


def test_export_and_verify_on_the_local_folder_store(settings, seed: Seed) -> None:  # type: ignore[no-untyped-def]
    from sxp.bootstrap import bootstrap

    local = bootstrap(settings.model_copy(update={"spaces_endpoint": None}))
    try:
        seed(2)
        (result,) = export_step.export(local)
        assert Path(result.manifest_url).is_file()
        assert verify_bundle(local, result.manifest_url).record_count == 2
        drain(local, max_idle_wait_s=1)
        head = Path(local.store.url("exports/test/default/head.json"))
        assert orjson.loads(head.read_bytes())["latest"][0]["batch_id"] == result.batch_id
    finally:
        local.close()
