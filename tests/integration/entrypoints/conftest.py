"""Fixtures of the entrypoint tests: the API on loopback, keys with scopes, a ready card."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from sxp.bootstrap import App, bootstrap
from sxp.entrypoints.keys import create_key

from .api_server import serving


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


@pytest.fixture
def token(app: App) -> Callable[..., str]:
    """A fresh key's token with the scopes given."""
    made: list[str] = []

    def _token(*scopes: str) -> str:
        made.append(create_key(app, f"test-{len(made)}", list(scopes)))
        return made[-1]

    return _token


@pytest.fixture
def api_app(app: App) -> Iterator[App]:
    """The API's App: connected as the role the deploy specs give sxp-api (the `app`
    fixture, the table owner, seeds data and creates keys, as the migrate job and CLI do)."""
    served = bootstrap(app.settings.model_copy(update={"db_role": "sxp_api_svc"}))
    yield served
    served.close()


@pytest.fixture
def base_url(api_app: App) -> Iterator[str]:
    with serving(api_app) as url:
        yield url


@pytest.fixture
def client(base_url: str, token: Callable[..., str]) -> Iterator[httpx.Client]:
    """A client whose key holds every scope but admin."""
    key = token("imports:write", "imports:read", "cards:read", "contacts:read", "batches:read")
    with httpx.Client(base_url=base_url, timeout=10,
                      headers={"Authorization": f"Bearer {key}"}) as http:
        yield http
