"""Pull connectors against the loopback emulators: success, not found, 429 with reset, 5xx storm."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sxp.adapters.postgres import queue
from sxp.adapters.providers.resilience import RetryPolicy
from sxp.adapters.sources.social_api import build_pull_client
from sxp.bootstrap import App
from sxp.errors import ProviderRetryable
from sxp.pipeline.ingest import run_job
from sxp.pipeline.pull import pull
from sxp.pipeline.scan import scan
from sxp.sandbox.server import Fault
from sxp.sandbox.social_apis import (
    TOKEN,
    start_threads_emulator,
    start_tiktok_emulator,
    start_x_emulator,
)

FAST = RetryPolicy(max_attempts=4, max_total_s=10, backoff_initial_s=0.01, backoff_max_s=0.05,
                   max_retry_after_s=2)


def _x_user(i: int) -> dict[str, Any]:
    return {"id": str(9000 + i), "username": f"Puller_{i}", "name": f"Puller {i}",
            "description": f"Synthetic {i}", "verified": False,
            "created_at": "2019-05-01T00:00:00.000Z",
            "public_metrics": {"followers_count": i, "following_count": 1, "tweet_count": 2,
                               "listed_count": 0}}


@pytest.fixture
def x_users() -> dict[str, dict[str, Any]]:
    return {f"puller_{i}": _x_user(i) for i in range(150)}


@pytest.fixture
def x_server(x_users: dict[str, dict[str, Any]]) -> Iterator[Any]:
    server = start_x_emulator(x_users, suspended=["gone_user"])
    yield server
    server.close()


def test_x_batches_of_100_found_not_found_and_suspended(x_server: Any) -> None:
    client = build_pull_client("x", x_server.base_url, TOKEN, policy=FAST)
    handles = [f"@Puller_{i}" for i in range(150)] + ["nobody_here", "gone_user"]
    outcomes = {o.handle: o for o in client.fetch(handles)}
    client.close()
    assert x_server.calls["/2/users/by"] == 2
    assert sum(o.outcome == "found" for o in outcomes.values()) == 150
    assert outcomes["nobody_here"].outcome == "not_found"
    assert outcomes["gone_user"].outcome == "suspended"
    assert outcomes["puller_7"].row is not None
    assert outcomes["puller_7"].row["public_metrics"]["followers_count"] == 7


def test_x_429_waits_for_reset_then_succeeds(x_users: dict[str, dict[str, Any]]) -> None:
    server = start_x_emulator(x_users, fault_plan=[Fault(429, retry_after=0.2)])
    try:
        client = build_pull_client("x", server.base_url, TOKEN, policy=FAST)
        [outcome] = client.fetch(["puller_1"])
        client.close()
    finally:
        server.close()
    assert outcome.outcome == "found"
    assert server.calls["status:429"] == 1 and server.calls["status:200"] == 1


def test_5xx_storm_opens_the_breaker(x_users: dict[str, dict[str, Any]]) -> None:
    server = start_x_emulator(x_users, fault_plan=["503"] * 20)
    try:
        client = build_pull_client("x", server.base_url, TOKEN, policy=FAST, fail_max=3,
                                   reset_timeout_s=60)
        with pytest.raises(ProviderRetryable) as err:
            client.fetch(["puller_1"])
        calls_when_open = server.calls["total"]
        with pytest.raises(ProviderRetryable) as again:
            client.fetch(["puller_2"])
        client.close()
    finally:
        server.close()
    assert err.value.reason_code == "provider_circuit_open"
    assert again.value.reason_code == "provider_circuit_open"
    assert calls_when_open == 3 and server.calls["total"] == 3


def test_tiktok_and_threads_success_and_not_found() -> None:
    tiktok = start_tiktok_emulator({"tt.puller": {
        "display_name": "TT Puller", "bio_description": "dance", "follower_count": 12,
        "following_count": 3, "likes_count": 40, "video_count": 5, "is_verified": False}},
        fault_plan=["500"])
    threads = start_threads_emulator({"th.puller": {
        "username": "th.puller", "name": "TH", "biography": "hi", "is_verified": False,
        "follower_count": 9, "likes_count": 1, "quotes_count": 0, "replies_count": 0,
        "reposts_count": 0, "views_count": 10}})
    try:
        tt = build_pull_client("tiktok", tiktok.base_url, TOKEN, policy=FAST)
        th = build_pull_client("threads", threads.base_url, TOKEN, policy=FAST)
        tt_out = {o.handle: o.outcome for o in tt.fetch(["TT.Puller", "missing.one"])}
        th_out = {o.handle: o.outcome for o in th.fetch(["th.puller", "missing.one"])}
        tt.close()
        th.close()
    finally:
        tiktok.close()
        threads.close()
    assert tt_out == {"tt.puller": "found", "missing.one": "not_found"}
    assert th_out == {"th.puller": "found", "missing.one": "not_found"}
    assert tiktok.calls["status:500"] == 1


def test_pulled_profiles_land_like_dropped_ones(app: App, x_server: Any) -> None:
    client = build_pull_client("x", x_server.base_url, TOKEN, policy=FAST)
    result = pull(app, client, ["puller_1", "puller_2", "nobody_here", "gone_user"])
    client.close()
    assert result.outcomes == {"found": 2, "not_found": 1, "suspended": 1}
    assert result.inbox_key and "platform=x/format=jsonl/" in result.inbox_key
    assert scan(app).registered == 1
    with app.connect() as conn:
        job = queue.claim(conn, "test", kinds=["ingest"])
        assert job is not None
        run_job(app, job)
        hint = conn.execute("SELECT platform_hint, rows_loaded FROM social.source_files"
                            ).fetchone()
        handles = conn.execute("SELECT handle FROM social.raw_social_profiles ORDER BY 1"
                               ).fetchall()
        recorded = conn.execute("SELECT outcome, count(*) AS n FROM social.pull_outcomes"
                                " GROUP BY 1 ORDER BY 1").fetchall()
    assert hint == {"platform_hint": "x", "rows_loaded": 2}
    assert [h["handle"] for h in handles] == ["puller_1", "puller_2"]
    assert {r["outcome"]: r["n"] for r in recorded} == {"found": 2, "not_found": 1,
                                                         "suspended": 1}
