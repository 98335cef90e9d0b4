"""PII canaries: unique e-mails and phones planted in bios and in the provider's answers must
reach Tier 2 and the bundle, and never a log line, Tier 1, or an audit row."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sxp.bootstrap import App
from sxp.entrypoints.demo import sample_files
from sxp.sample.generate import FIRST, LAST
from sxp.sandbox import SandboxServer, start_sandbox

TAG = uuid.uuid4().hex[:8]


def _phone(i: int) -> str:
    return f"555{700 + i // 10000:03d}{i % 10000:04d}"


@pytest.fixture
def planted() -> dict[str, list[str]]:
    return {"emails": [], "phones": [], "names": []}


@pytest.fixture
def canary_provider(planted: dict[str, list[str]]) -> Iterator[SandboxServer]:
    """Every synthetic name the sample can carry answers with its own canary e-mail and phone."""
    overrides: dict[tuple[str, str], dict[str, Any]] = {}
    for i, (first, last) in enumerate((f, la) for f in FIRST for la in LAST):
        email = f"prov-{TAG}-{i}@example.net"
        phone = _phone(i)
        planted["emails"].append(email)
        planted["phones"].append(phone)
        overrides[(first, last)] = {"phones": [{"number": phone, "type": "Mobile", "rank": 1,
                                                "dnc": i % 7 == 0, "tcpa": False,
                                                "reachable": True}],
                                    "emails": [email]}
    server = start_sandbox("skiptrace", overrides=overrides)
    yield server
    server.close()


def _bio_canaries(path: Path, planted: dict[str, list[str]]) -> None:
    rows = []
    for i, (city, state) in enumerate([("Austin", "TX"), ("Denver", "CO"), ("Miami", "FL")]):
        email, phone = f"bio-{TAG}-{i}@example.org", f"+1 (555) 690-{1000 + i}"
        planted["emails"].append(email)
        planted["phones"].append(f"555690{1000 + i}")
        rows.append({"platform": "tiktok", "handle": f"canary_{TAG}_{i}",
                     "display_name": f"Avery Lark {email}",
                     "bio": f"Realtor and owner. Email {email} or text {phone}",
                     "location": f"{city}, {state}", "followers": 5000 + i, "posts": 120,
                     "following": 300, "scraped_at": "2026-10-01T00:00:00Z"})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_canaries_reach_tier2_and_bundle_but_no_log_tier1_or_audit(
        cli: Any, app: App, canary_provider: SandboxServer, planted: dict[str, list[str]],
        tmp_path: Path) -> None:
    cli.env["SKIPTRACE_BASE_URL"] = canary_provider.base_url
    bucket = app.settings.spaces_bucket
    canary_file = tmp_path / "canary_profiles.jsonl"
    _bio_canaries(canary_file, planted)
    for path in [*sample_files(), canary_file]:
        cli.aws("s3", "cp", str(path), f"s3://{bucket}/inbox/canary/{path.name}")
    cli.sxp("run")
    cli.sxp("status")
    cli.sxp("status", "--json")

    with app.connect() as conn:
        tier2 = json.dumps([dict(r) for r in conn.execute("SELECT * FROM contact.contacts")],
                           default=str)
        tier1 = json.dumps([dict(r) for r in conn.execute(
            "SELECT * FROM social.raw_social_profiles")], default=str)
        audit = json.dumps([dict(r) for r in conn.execute("SELECT * FROM audit.audit_log")],
                           default=str)
        flagged = conn.execute(
            "SELECT count(*) AS n FROM social.raw_social_profiles"
            " WHERE handle LIKE %s AND bio_has_contact", (f"canary_{TAG}_%",)).fetchone()["n"]
        manifest_keys = [r["manifest_key"] for r in conn.execute(
            "SELECT manifest_key FROM execution.export_batches")]
    bundle = "".join(
        gzip.decompress(app.store.get_bytes(k.rsplit("/", 1)[0] + "/lead_cards.jsonl.gz"))
        .decode() for k in manifest_keys)
    logs = "\n".join(cli.output) + cli.log_text()  # the terminal and the log file

    provider_emails = [e for e in planted["emails"] if e.startswith("prov-")]
    reached = [e for e in provider_emails if e in tier2]
    assert reached, "the provider's planted answers must reach Tier 2"
    assert any(e in bundle for e in reached), "and be handed off in the bundle"
    assert flagged == 3, "only the fact that the bio carried contact details is kept"
    assert '"logger":"sxp.enrich' in logs, "the structured logs were captured"
    for value in planted["emails"] + planted["phones"]:
        assert value not in logs, f"canary {value} leaked into a log line"
        assert value not in audit, f"canary {value} leaked into the audit log"
    for value in [e for e in planted["emails"] if e.startswith("bio-")] + ["555690100"]:
        assert value not in tier1, f"canary {value} stored in Tier 1"
    assert "canary_" + TAG in tier1  # the canary profiles themselves did land
