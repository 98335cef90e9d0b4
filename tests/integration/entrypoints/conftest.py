"""A ready-to-export card, inserted with plain SQL (synthetic data)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sxp.bootstrap import App


@pytest.fixture
def seed_ready_card(app: App) -> Callable[[], None]:
    def _seed() -> None:
        with app.connect() as conn:
            conn.execute(
                "WITH p AS (INSERT INTO social.raw_social_profiles (platform, handle, scraped_at,"
                " content_hash) VALUES ('x', 'synthetic_api', now(), 'h') RETURNING id)"
                " INSERT INTO execution.lead_cards (profile_id, platform, handle, profile_hash,"
                " readiness, readiness_score, base_confidence, execution_label, labeled_at,"
                " enrich_state) SELECT id, 'x', 'synthetic_api', 'h', 'ready', 0.5, 0.5,"
                " 'export_only', now(), 'ineligible' FROM p"
            )
            conn.commit()

    return _seed
