"""A pull job through the queue: fetch, record outcomes, land in Tier 1; a rerun calls no API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from sxp.adapters.postgres import queue
from sxp.bootstrap import App, bootstrap
from sxp.config import Settings
from sxp.errors import ConfigError, InputError
from sxp.pipeline import pull as pull_step
from sxp.pipeline.runner import drain
from sxp.sandbox.social_apis import TOKEN, start_x_emulator


def _user(i: int) -> dict[str, Any]:
    return {"id": str(7000 + i), "username": f"Pulled_{i}", "name": f"Pulled {i}",
            "description": "Synthetic", "verified": False,
            "created_at": "2020-01-01T00:00:00.000Z",
            "public_metrics": {"followers_count": 10 + i, "following_count": 1,
                               "tweet_count": 5, "listed_count": 0}}


@pytest.fixture
def x_app(settings: Settings) -> Iterator[tuple[App, Any]]:
    server = start_x_emulator({f"pulled_{i}": _user(i) for i in range(3)},
                              suspended=["gone_user"])
    app = bootstrap(settings.model_copy(update={"x_api_base_url": server.base_url,
                                                "x_api_bearer_token": TOKEN}))
    yield app, server
    app.close()
    server.close()


def _counts(app: App) -> dict[str, Any]:
    with app.connect() as conn:
        profiles = conn.execute("SELECT count(*) AS n FROM social.raw_social_profiles"
                                ).fetchone()["n"]
        outcomes = {r["outcome"]: r["n"] for r in conn.execute(
            "SELECT outcome, count(*) AS n FROM social.pull_outcomes GROUP BY 1")}
    return {"profiles": profiles, "outcomes": outcomes}


def test_pull_job_lands_profiles_and_records_outcomes(x_app: tuple[App, Any]) -> None:
    app, server = x_app
    ids = pull_step.enqueue_pull(app, "x", ["@Pulled_0", "pulled_1", "PULLED_2", "nobody",
                                            "gone_user", "pulled_0"])
    assert len(ids) == 1
    assert pull_step.enqueue_pull(app, "x", ["pulled_0", "pulled_1", "pulled_2", "nobody",
                                             "gone_user"]) == []  # same pending job
    result = drain(app)
    assert result.by_kind.get("pull") == 1 and result.by_kind.get("ingest") == 1
    assert _counts(app) == {"profiles": 3,
                            "outcomes": {"found": 3, "not_found": 1, "suspended": 1}}


def test_rerun_after_crash_does_not_call_the_api_again(x_app: tuple[App, Any]) -> None:
    app, server = x_app
    pull_step.enqueue_pull(app, "x", ["pulled_0", "pulled_1"])
    with app.connect() as conn:
        job = queue.claim(conn, "crashing-worker", ["pull"])
        conn.commit()
    assert job is not None
    pull_step.run_job(app, job)
    calls = server.calls["total"]
    # the worker died before its commit was seen: the job runs again
    with app.connect() as conn:
        conn.execute("UPDATE queue.jobs SET state = 'doing' WHERE id = %s", (job.id,))
        conn.commit()
    pull_step.run_job(app, job)
    assert server.calls["total"] == calls
    drain(app)
    assert _counts(app) == {"profiles": 2, "outcomes": {"found": 2}}


def test_pull_needs_configuration_and_handles(settings: Settings, app: App) -> None:
    with pytest.raises(ConfigError, match="X_API_BASE_URL"):
        pull_step.client_for(app, "x")
    with pytest.raises(ConfigError, match="X_API_BASE_URL"):  # refused before it is queued
        pull_step.enqueue_pull(app, "x", ["someone"])
    with pytest.raises(InputError):
        pull_step.enqueue_pull(app, "myspace", ["a"])
    app.settings.x_api_base_url = "http://127.0.0.1:9"
    app.settings.x_api_bearer_token = SecretStr("t")
    with pytest.raises(InputError):
        pull_step.enqueue_pull(app, "x", ["  "])
    with pytest.raises(InputError, match="break x's handle rules: 'not a handle'"):
        pull_step.enqueue_pull(app, "x", ["fine_one", "not a handle"])
    with app.connect() as conn:
        assert queue.pending_count(conn, ["pull"]) == 0
