"""The status table's rows (`sxp status`, `make demo`)."""

from __future__ import annotations

from typing import Any


def summary_rows(status: dict[str, Any]) -> list[tuple[str, str]]:
    ingest, tiers = status["ingest"], status["tiers"]
    states = status["cards_by_enrich_state"]
    gated = sum(states.get(s, 0) for s in ("queued", "enriched", "not_found", "failed"))
    rows = [
        ("files ingested / failed", f"{status['source_files'].get('ingested', 0)} / "
                                    f"{status['source_files'].get('failed', 0)}"),
        ("rows read", f"{ingest['rows_read']:,}"),
        ("profiles ingested (Tier 1)", f"{tiers['tier1_profiles']:,}"),
        ("rows rejected", f"{ingest['rejected']:,}"),
        ("rows deduped", f"{ingest['deduped']:,}"),
        ("rows unchanged (re-delivered)", f"{ingest['unchanged']:,}"),
        ("  of them stale (Tier 1 held newer)", f"{ingest['stale']:,}"),
        ("rows suppressed (opt-outs, erased)", f"{ingest.get('suppressed', 0):,}"),
        ("lead cards (Tier 3)", f"{tiers['tier3_lead_cards']:,}"),
    ]
    for label, n in sorted(status["cards_by_execution_label"].items()):
        rows.append((f"  label {label}", f"{n:,}"))
    rows += [
        ("cards gated for enrichment", f"{gated:,}"),
        ("cards enriched / not found", f"{states.get('enriched', 0):,} / "
                                       f"{states.get('not_found', 0):,}"),
        ("contacts / businesses (Tier 2)", f"{tiers['tier2_contacts']:,} / "
                                           f"{tiers['tier2_businesses']:,}"),
        ("cards exported", f"{tiers['exported_cards']:,}"),
        ("audit events", f"{tiers['audit_rows']:,}"),
    ]
    if "native_ingest" in status:
        rows.append(("native ingest path", str(status["native_ingest"])))
    if "native_cards" in status:
        rows.append(("native cards path", str(status["native_cards"])))
    return rows
