from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sxp.errors import ProviderFatal, ProviderRetryable
from sxp.sandbox import SANDBOX_KEYS, SandboxServer, start_sandbox

from .provider_helpers import apollo, people

BULK = "/api/v1/people/bulk_match"


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    srv = start_sandbox(
        "apollo",
        match_rate=0.6,
        overrides={
            ("Planted", "Founder"): {
                "email": "Planted.Founder@Example.NET",
                "email_status": "verified",
            }
        },
    )
    yield srv
    srv.close()


def test_bulk_match_maps_people_and_organizations(server: SandboxServer) -> None:
    adapter = apollo(server)
    requests = people(10)
    requests[0] = requests[0].model_copy(update={"first_name": "Planted", "last_name": "Founder"})
    response = adapter.lookup(requests)
    assert len(response.results) == 10 and server.calls[BULK] == 1
    assert response.credits_used == response.matched == server.credits_charged
    planted = response.results[0]
    assert planted.person is not None and planted.business is not None
    assert planted.person.emails[0].address == "planted.founder@example.net"
    assert planted.business.domain == "brand0.example"
    adapter.close()


def test_no_match_without_domain_is_free(server: SandboxServer) -> None:
    adapter = apollo(server)
    requests = [r.model_copy(update={"domain": None}) for r in people(5)]
    response = adapter.lookup(requests)
    assert response.matched == 0 and response.credits_used == 0
    adapter.close()


def test_more_than_10_is_refused(server: SandboxServer) -> None:
    adapter = apollo(server)
    with pytest.raises(ValueError):
        adapter.lookup(people(11))
    adapter.close()


@pytest.mark.parametrize("fault", ["401", "402", "422"])
def test_fatal(server: SandboxServer, fault: str) -> None:
    server.plan(fault)
    adapter = apollo(server)
    with pytest.raises(ProviderFatal):
        adapter.lookup(people(2))
    adapter.close()


def test_429_storm_then_success_and_5xx_exhaustion(server: SandboxServer) -> None:
    server.plan("429", "429-retry-after")
    adapter = apollo(server, max_retry_after_s=0.0)
    assert adapter.lookup(people(2)).status_code == 200
    server.plan("500", "500")
    adapter2 = apollo(server, attempts=2)
    with pytest.raises(ProviderRetryable):
        adapter2.lookup(people(2))
    adapter.close()
    adapter2.close()


def test_emulator_rate_limit_headers_and_org_endpoints(server: SandboxServer) -> None:
    headers = {"X-Api-Key": SANDBOX_KEYS["apollo"]}
    with httpx.Client(base_url=server.base_url, headers=headers) as client:
        one = client.get("/api/v1/organizations/enrich", params={"domain": "brand1.example"})
        bulk = client.post(
            "/api/v1/organizations/bulk_enrich",
            json={"domains": [f"brand{i}.example" for i in range(10)]},
        )
        match = client.post(
            "/api/v1/people/match",
            json={"first_name": "Planted", "last_name": "Founder", "domain": "brand1.example"},
        )
        too_many = client.post(
            "/api/v1/organizations/bulk_enrich",
            json={"domains": [f"b{i}.example" for i in range(11)]},
        )
    assert one.status_code == 200 and "x-minute-requests-left" in one.headers
    assert bulk.json()["total_requested_domains"] == 10
    assert len(bulk.json()["organizations"]) + bulk.json()["missing_records"] == 10
    assert match.json()["person"]["email"] == "Planted.Founder@Example.NET"
    assert too_many.status_code == 422


def test_emulator_rate_limit_answers_429() -> None:
    srv = start_sandbox("apollo", rate_per_s=2)
    headers = {"X-Api-Key": SANDBOX_KEYS["apollo"]}
    with httpx.Client(base_url=srv.base_url, headers=headers) as client:
        codes = [
            client.get("/api/v1/organizations/enrich", params={"domain": "x.example"}).status_code
            for _ in range(3)
        ]
    srv.close()
    assert codes[:2] == [200, 200] and codes[2] == 429


def test_unmatched_person_with_domain_gets_the_business_via_bulk_enrich() -> None:
    from sxp.sandbox import synthetic

    srv = start_sandbox(
        "apollo", match_rate=0.6, overrides={("Nobody", "Here"): {"matched": False}}
    )
    domain = next(
        f"shop{i}.example" for i in range(100) if synthetic.matches(0.6, "org", f"shop{i}.example")
    )
    adapter = apollo(srv)
    request = people(1)[0].model_copy(
        update={"first_name": "Nobody", "last_name": "Here", "domain": domain}
    )
    response = adapter.lookup([request])
    result = response.results[0]
    assert result.matched and result.person is None
    assert result.business is not None and result.business.domain == domain
    assert srv.calls["/api/v1/organizations/bulk_enrich"] == 1
    assert response.credits_used == srv.credits_charged == 1
    adapter.close()
    srv.close()
