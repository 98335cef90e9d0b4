"""Seed Tier 1 profiles, Tier 3 cards and Tier 2 contacts with plain SQL (synthetic data)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb
from pydantic import SecretStr

from sxp.bootstrap import App

CANARY_EMAIL = "canary.export.7f3a@example.com"
CANARY_PHONE = "+15550100987"


def insert_card(conn: psycopg.Connection, n: int, *, enrich_state: str = "enriched",
                execution_label: str | None = "enrich_now", labeled: bool = True,
                with_contact: bool = False) -> int:
    profile = conn.execute(
        "INSERT INTO social.raw_social_profiles (platform, handle, display_name, bio, location,"
        " followers, posts, scraped_at, content_hash, is_verified)"
        " VALUES ('tiktok', %s, %s, 'synthetic bio', 'Austin, TX', %s, 12,"
        " '2026-11-01T10:00:00Z', %s, false) RETURNING id",
        (f"creator_{n}", f"Creator {n}", 1000 + n, f"hash{n}")).fetchone()
    assert profile is not None
    card = conn.execute(
        "INSERT INTO execution.lead_cards (profile_id, platform, handle, profile_hash, readiness,"
        " readiness_score, base_confidence, persona, tribe, audience_pool, execution_label,"
        " ruleset_version, rules_fired, labeled_at, enrich_state, enrich_reason, dnc)"
        " VALUES (%s, 'tiktok', %s, %s, 'ready', 0.8, 0.7, 'creator', 'fitness', 'fit_pool',"
        " %s, 'test-v1', %s, %s, %s, %s, %s) RETURNING id",
        (profile["id"], f"creator_{n}", f"hash{n}", execution_label, Jsonb(["r1", "r2"]),
         "2026-11-02T10:00:00Z" if labeled else None, enrich_state,
         "no_us_location" if enrich_state == "ineligible" else None,
         True if with_contact else None)).fetchone()
    assert card is not None
    if with_contact:
        conn.execute(
            "INSERT INTO contact.contacts (card_id, provider, fetched_at, confidence, first_name,"
            " last_name, emails, phones) VALUES (%s, 'skiptrace', '2026-11-03T10:00:00Z', 0.9,"
            " 'Avery', 'Testperson', %s, %s)",
            (card["id"], Jsonb([CANARY_EMAIL]),
             Jsonb([{"number": CANARY_PHONE, "type": "mobile", "dnc": True, "tcpa": False,
                     "rank": 1}])))
        conn.execute(
            "INSERT INTO contact.businesses (card_id, provider, fetched_at, name, domain)"
            " VALUES (%s, 'apollo', '2026-11-03T10:00:00Z', 'Synthetic Fitness LLC',"
            " 'synthetic-fitness.example')", (card["id"],))
    return int(card["id"])


@pytest.fixture
def canaries() -> tuple[str, str]:
    """The synthetic e-mail and phone planted on seeded contacts."""
    return CANARY_EMAIL, CANARY_PHONE


@pytest.fixture
def seed(app: App) -> Callable[..., list[int]]:
    def _seed(count: int, start: int = 0, **kwargs: Any) -> list[int]:
        with app.connect() as conn:
            ids = [insert_card(conn, start + i, **kwargs) for i in range(count)]
            conn.commit()
        return ids

    return _seed


@pytest.fixture
def handoff_app(settings: Any, valkey_url: str) -> Any:
    """An App whose webhooks may target loopback (the receivers here), with a short retry
    schedule, and the session's Valkey for queue consumers."""
    from sxp.bootstrap import bootstrap

    app = bootstrap(settings.model_copy(update={
        "webhook_allow_private": True, "webhook_retry_schedule_s": (0.2, 0.2, 0.2, 0.2),
        "valkey_url": SecretStr(valkey_url)}))
    yield app
    app.close()
