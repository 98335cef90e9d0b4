from __future__ import annotations

from collections.abc import Iterator

import pytest

from sxp.errors import ProviderFatal, ProviderRetryable
from sxp.sandbox import Fault, SandboxServer, start_sandbox

from .provider_helpers import people, skiptrace

PATH = "/api/v1/property/skip-trace"


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    srv = start_sandbox(
        "skiptrace",
        match_rate=0.7,
        overrides={
            ("Planted", "Person"): {
                "phones": [
                    {
                        "number": "512-555-0199",
                        "type": "Wireless",
                        "rank": 2,
                        "dnc": False,
                        "tcpa": True,
                    },
                    {
                        "number": "+1 (512) 555-0100",
                        "type": "Land Line",
                        "rank": 1,
                        "dnc": True,
                        "tcpa": False,
                        "reachable": True,
                    },
                    {"number": "not a phone", "type": "Mobile"},
                ],
                "emails": ["Planted.Person@Example.COM", "bad@@example"],
            }
        },
    )
    yield srv
    srv.close()


def test_success_and_partial_match_bill_only_matches(server: SandboxServer) -> None:
    adapter = skiptrace(server)
    requests = people(100)
    response = adapter.lookup(requests)
    assert response.status_code == 200
    assert [r.card_id for r in response.results] == [r.card_id for r in requests]
    assert 0 < response.matched < 100  # partial batch success
    assert response.credits_used == response.matched == server.credits_charged
    assert server.calls[PATH] == 1
    adapter.close()


def test_planted_answer_is_normalized_with_flags(server: SandboxServer) -> None:
    adapter = skiptrace(server)
    request = people(1)[0].model_copy(update={"first_name": "Planted", "last_name": "Person"})
    result = adapter.lookup([request]).results[0]
    assert result.matched and result.person is not None
    assert [p.number for p in result.person.phones] == ["+15125550100", "+15125550199"]
    first, second = result.person.phones
    assert (first.line_type, first.dnc, first.tcpa) == ("landline", True, False)
    assert (second.line_type, second.tcpa) == ("mobile", True)  # TCPA phones kept, flagged
    assert [e.address for e in result.person.emails] == ["planted.person@example.com"]
    assert result.dnc
    adapter.close()


def test_non_us_and_unmatched_come_back_unbilled(server: SandboxServer) -> None:
    adapter = skiptrace(server)
    response = adapter.lookup(people(20, state="ZZ"))
    assert response.matched == 0 and response.credits_used == 0 and server.credits_charged == 0
    adapter.close()


@pytest.mark.parametrize(
    ("fault", "status", "reason"),
    [
        ("401", 401, "provider_unauthorized"),
        ("402", 402, "provider_quota_exhausted"),
        ("422", 422, "provider_rejected_request"),
    ],
)
def test_fatal_statuses_are_not_retried(
    server: SandboxServer, fault: str, status: int, reason: str
) -> None:
    server.plan(fault)
    adapter = skiptrace(server)
    with pytest.raises(ProviderFatal) as info:
        adapter.lookup(people(3))
    assert info.value.status == status and info.value.reason_code == reason
    assert server.calls[PATH] == 1
    adapter.close()


def test_wrong_key_is_401(server: SandboxServer) -> None:
    adapter = skiptrace(server, key="wrong")
    with pytest.raises(ProviderFatal):
        adapter.lookup(people(1))
    adapter.close()


def test_429_with_retry_after_is_honoured_then_succeeds(server: SandboxServer) -> None:
    server.plan(Fault(429, retry_after=0))
    adapter = skiptrace(server)
    assert adapter.lookup(people(5)).status_code == 200
    assert server.calls["status:429"] == 1 and server.calls[PATH] == 2
    adapter.close()


def test_429_retry_after_value_drives_the_wait(server: SandboxServer) -> None:
    server.plan(Fault(429, retry_after=1))
    adapter = skiptrace(server, max_retry_after_s=0.0)  # cap proves the header was read
    adapter.lookup(people(2))
    assert server.calls["status:429"] == 1
    adapter.close()


def test_429_without_retry_after_backs_off_and_succeeds(server: SandboxServer) -> None:
    server.plan("429", "429")
    adapter = skiptrace(server)
    assert adapter.lookup(people(5)).status_code == 200
    assert server.calls["status:429"] == 2
    adapter.close()


def test_5xx_then_recovery(server: SandboxServer) -> None:
    server.plan("500", "503", "502")
    adapter = skiptrace(server)
    assert adapter.lookup(people(5)).status_code == 200
    assert server.calls[PATH] == 4
    adapter.close()


def test_5xx_past_the_attempt_budget_is_retryable(server: SandboxServer) -> None:
    server.plan(*["503"] * 4)
    adapter = skiptrace(server, attempts=4)
    with pytest.raises(ProviderRetryable) as info:
        adapter.lookup(people(1))
    assert info.value.status == 503 and server.calls[PATH] == 4
    adapter.close()


def test_slow_response_times_out_then_recovers(server: SandboxServer) -> None:
    server.plan(Fault(delay_s=1.0))
    adapter = skiptrace(server, timeout_s=0.2, attempts=2)
    assert adapter.lookup(people(2)).status_code == 200
    adapter.close()
    server.plan(Fault(delay_s=1.0))
    adapter = skiptrace(server, timeout_s=0.2, attempts=1)
    with pytest.raises(ProviderRetryable) as info:
        adapter.lookup(people(2))
    assert info.value.reason_code == "provider_timeout"
    adapter.close()


def test_malformed_json_is_retried_then_reported(server: SandboxServer) -> None:
    server.plan("malformed")
    adapter = skiptrace(server)
    assert adapter.lookup(people(2)).status_code == 200
    server.plan("malformed", "malformed")
    adapter = skiptrace(server, attempts=2)
    with pytest.raises(ProviderRetryable) as info:
        adapter.lookup(people(2))
    assert info.value.reason_code == "provider_malformed_response"
    adapter.close()


def test_5xx_storm_opens_breaker_and_it_recovers_after_reset(server: SandboxServer) -> None:
    import time

    server.plan(*["500"] * 3)
    adapter = skiptrace(server, attempts=5, fail_max=3, reset_s=0.3)
    with pytest.raises(ProviderRetryable) as info:
        adapter.lookup(people(2))
    assert info.value.reason_code == "provider_circuit_open"
    calls = server.calls[PATH]
    with pytest.raises(ProviderRetryable):
        adapter.lookup(people(2))  # open: fails fast, no HTTP call
    assert server.calls[PATH] == calls
    time.sleep(0.35)
    assert adapter.lookup(people(2)).status_code == 200  # half-open trial succeeds
    assert adapter.caller.breaker.current_state == "closed"
    adapter.close()


def test_more_than_100_requests_is_refused_client_side(server: SandboxServer) -> None:
    adapter = skiptrace(server)
    with pytest.raises(ValueError):
        adapter.lookup(people(101))
    adapter.close()


def test_pii_canaries_never_reach_logs_across_outcomes(server: SandboxServer) -> None:
    import io

    from sxp.logs import configure_logging

    logs = io.StringIO()
    configure_logging("DEBUG", stream=logs)
    request = people(1)[0].model_copy(update={"first_name": "Planted", "last_name": "Person"})
    adapter = skiptrace(server, attempts=2)
    adapter.lookup([request])
    for plan in (["429", "500"], ["malformed", "malformed"], ["401"], ["503", "503"]):
        server.plan(*plan)
        with pytest.raises((ProviderRetryable, ProviderFatal)):
            adapter.lookup([request])
    adapter.lookup([request])
    adapter.close()
    text = logs.getvalue().lower()
    assert text.count('"provider call"') >= 8
    for canary in ("planted", "person@", "555-0100", "5125550100", "555-0199", "5125550199"):
        assert canary not in text
