"""The whole pipeline through the CLI: aws CLI drop, `sxp run`, every tier, the bundle, audit."""

from __future__ import annotations

import json
import re
from typing import Any

from sxp.bootstrap import App
from sxp.entrypoints.demo import sample_files

EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")


def _stable(status: dict[str, Any]) -> dict[str, Any]:
    """The end state that must not move when input or runs repeat (job bookkeeping aside)."""
    return {k: v for k, v in status.items() if k not in ("jobs",)}


def _drop_sample(cli: Any, bucket: str, prefix: str = "inbox/e2e/") -> None:
    for path in sample_files():
        cli.aws("s3", "cp", str(path), f"s3://{bucket}/{prefix}{path.name}")


def test_aws_drop_run_verify_and_rerun_is_idempotent(cli: Any, app: App) -> None:
    bucket = app.settings.spaces_bucket
    _drop_sample(cli, bucket)
    cli.sxp("run")
    status = cli.status()

    tiers = status["tiers"]
    assert tiers["tier1_profiles"] > 1000
    assert tiers["tier3_lead_cards"] == tiers["tier1_profiles"]
    assert tiers["labeled_cards"] == tiers["tier3_lead_cards"]
    assert status["ingest"]["rejected"] > 0 and status["ingest"]["deduped"] > 0
    assert tiers["tier2_contacts"] > 0
    assert tiers["exported_cards"] > 0
    assert status["source_files"] == {"ingested": len(sample_files())}
    assert not status["dead_jobs"]
    assert status["native_ingest"] == "in use"  # make builds the extensions; status says so
    assert status["native_cards"] == "in use"
    batches = status["enrichment_batches"]
    assert batches and set(batches) == {"done"}
    assert status["audit_events"]["enrichment"] == batches["done"]
    assert status["audit_events"]["handoff"] == sum(status["export_batches"].values())
    assert status["credits"].get("reserve", 0) == (
        status["credits"].get("spend", 0) + status["credits"].get("release", 0))

    # the bundle, checked by the CLI over the S3 API
    listing = cli.aws("s3", "ls", "--recursive", f"s3://{bucket}/exports/").stdout
    manifests = [line.split()[-1] for line in listing.splitlines()
                 if line.endswith("manifest.json")]
    assert manifests
    verified = 0
    for key in manifests:
        report = json.loads(cli.sxp("verify-bundle", f"s3://{bucket}/{key}").stdout)
        assert report["ok"] is True and report["files_checked"] >= 1
        verified += report["record_count"]
    assert verified == tiers["exported_cards"]
    # a tampered bundle is refused with a clear reason
    body_key = manifests[0].rsplit("/", 1)[0] + "/lead_cards.jsonl.gz"
    cli.aws("s3", "cp", f"s3://{bucket}/{body_key}", str(cli.cwd / "body.gz"))
    (cli.cwd / "body.gz").write_bytes((cli.cwd / "body.gz").read_bytes()[:-7])
    cli.aws("s3", "cp", str(cli.cwd / "body.gz"), f"s3://{bucket}/tampered/{body_key}")
    cli.aws("s3", "cp", f"s3://{bucket}/{manifests[0]}", f"s3://{bucket}/tampered/{manifests[0]}")
    refused = cli.sxp("verify-bundle", f"s3://{bucket}/tampered/{manifests[0]}", check=False)
    assert refused.returncode == 2 and "bundle_invalid" in refused.stderr
    cli.aws("s3", "rm", "--recursive", f"s3://{bucket}/tampered/")
    # rejects and staged JSONL are there
    staged = cli.aws("s3", "ls", "--recursive", f"s3://{bucket}/stage/").stdout
    assert "rejects" in staged and "normalized" in staged and "cards" in staged

    with app.connect() as conn:
        audit = conn.execute("SELECT * FROM audit.audit_log ORDER BY id").fetchall()
    assert audit and all(row["schema_version"] and row["checksum"] is not None or
                         row["event_type"] != "handoff" for row in audit)
    assert not EMAIL.search(json.dumps([dict(r) for r in audit], default=str))

    # the same files delivered again (same and new keys) and `sxp run` twice: same end state
    _drop_sample(cli, bucket)
    _drop_sample(cli, bucket, prefix="inbox/e2e-again/")
    cli.sxp("run")
    cli.sxp("run")
    again = cli.status()
    assert again["tiers"] == status["tiers"]
    assert again["credits"] == status["credits"]
    assert again["enrichment_batches"] == status["enrichment_batches"]
    assert again["export_batches"] == status["export_batches"]
    assert again["audit_events"] == status["audit_events"]
    # the copies at new keys are duplicates of the first imports: not ingested, not kept
    assert again["source_files"] == {"ingested": len(sample_files()),
                                     "duplicate": len(sample_files())}
    assert "e2e-again" not in cli.aws("s3", "ls", "--recursive", f"s3://{bucket}/inbox/").stdout
    assert again["ingest"]["loaded"] == status["ingest"]["loaded"]
