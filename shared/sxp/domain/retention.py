"""Retention: how long each kind of data is kept, per environment, and which kind a stored
object is. Pure.

Kinds: `inbox` (files as delivered), `staged` (normalized and card parts under `stage/`),
`rejects` (rejects parts under `stage/`), `exports` (bundles and index objects),
`provider_answers` (the stored answers of provider calls; the call rows stay for the credit
accounting, their answers go), `audit` (kept longest, at least 30 days; an anchor keeps the
chain verifiable after a prune).
"""

from __future__ import annotations

from datetime import datetime, timedelta

KINDS = ("inbox", "staged", "rejects", "exports", "provider_answers", "audit")
AUDIT_MIN_DAYS = 30  # the database's prune function refuses younger cut-offs too

# days per kind and environment: short where data is only for trying things, long in prod
DEFAULT_DAYS: dict[str, dict[str, int]] = {
    "local": {"inbox": 30, "staged": 14, "rejects": 30, "exports": 90,
              "provider_answers": 90, "audit": 365},
    "dev": {"inbox": 7, "staged": 3, "rejects": 7, "exports": 14,
            "provider_answers": 14, "audit": 90},
    "stage": {"inbox": 14, "staged": 7, "rejects": 14, "exports": 30,
              "provider_answers": 30, "audit": 365},
    "prod": {"inbox": 30, "staged": 14, "rejects": 60, "exports": 180,
             "provider_answers": 365, "audit": 2555},
}


def retention_days(env: str, overrides: dict[str, int]) -> dict[str, int]:
    """Days per kind for the environment, with the settings' overrides; unknown kinds refused."""
    unknown = sorted(set(overrides) - set(KINDS))
    if unknown:
        raise ValueError(f"SXP_RETENTION_DAYS: unknown kinds {unknown} (known: {list(KINDS)})")
    if any(days < 1 for days in overrides.values()):
        raise ValueError("SXP_RETENTION_DAYS: every period is at least 1 day")
    if overrides.get("audit", AUDIT_MIN_DAYS) < AUDIT_MIN_DAYS:
        raise ValueError(f"SXP_RETENTION_DAYS: audit rows are kept at least {AUDIT_MIN_DAYS}"
                         " days")
    return {**DEFAULT_DAYS.get(env, DEFAULT_DAYS["local"]), **overrides}


def kind_of(key: str, *, inbox: str, stage: str, exports: str) -> str | None:
    """The kind of an object by its key (None: not sxp's)."""
    if key.startswith(inbox):
        return "inbox"
    if key.startswith(stage):
        return "rejects" if "/rejects/" in key else "staged"
    if key.startswith(exports):
        return "exports"
    return None


def is_expired(modified: datetime | None, days: int, now: datetime) -> bool:
    return modified is not None and modified < now - timedelta(days=days)
