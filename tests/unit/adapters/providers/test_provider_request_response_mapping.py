from __future__ import annotations

import pytest

from sxp.adapters.providers import apollo, skiptrace
from sxp.adapters.providers.base import LookupRequest, LookupResponse, request_hash
from sxp.errors import ProviderRetryable

REQS = [
    LookupRequest(
        card_id=7,
        first_name="Avery",
        last_name="Testwood",
        city="Austin",
        state="TX",
        domain="glow.example",
    ),
    LookupRequest(card_id=9, first_name="Quinn", last_name="Mockford", city="Denver", state="CO"),
]


def test_skiptrace_request_body_shape() -> None:
    body = skiptrace.build_request_body(REQS)
    assert body["options"] == {"includeTCPABlacklistedPhones": True}
    first = body["requests"][0]
    assert first["requestId"] == "7"
    assert first["name"] == {"first": "Avery", "last": "Testwood"}
    assert first["propertyAddress"] == {"street": "", "city": "Austin", "state": "TX", "zip": ""}


def test_skiptrace_response_is_mapped_per_request_id() -> None:
    payload = {
        "results": {
            "persons": [
                {"meta": {"requestId": "9", "matched": False}},
                {
                    "meta": {"requestId": "7", "matched": True},
                    "name": {"first": "Avery", "last": "Testwood"},
                    "phones": [
                        {
                            "number": "(303) 555-0101",
                            "type": "Mobile",
                            "rank": 1,
                            "dnc": True,
                            "tcpa": False,
                            "reachable": True,
                        },
                        {"number": "garbage", "type": "Mobile"},
                    ],
                    "emails": [{"email": "AVERY@EXAMPLE.COM"}, {"email": "avery@example.com"}],
                },
            ]
        }
    }
    response = skiptrace.parse_response(REQS, payload, 200)
    by_card = {r.card_id: r for r in response.results}
    assert not by_card[9].matched
    person = by_card[7].person
    assert person is not None and by_card[7].dnc
    assert [p.number for p in person.phones] == ["+13035550101"]
    assert [e.address for e in person.emails] == ["avery@example.com"]
    assert response.credits_used == 1
    assert response.request_hash == request_hash("skiptrace", REQS)
    # the stored form round-trips (a rerun replays it)
    assert LookupResponse.model_validate(response.model_dump(mode="json")) == response


def test_skiptrace_response_without_persons_is_malformed() -> None:
    with pytest.raises(ProviderRetryable):
        skiptrace.parse_response(REQS, {"status": {"code": 200}}, 200)


def test_apollo_request_and_unaligned_matches() -> None:
    body = apollo.build_request_body(REQS)
    assert body["details"][1] == {"id": "9", "first_name": "Quinn", "last_name": "Mockford"}
    assert body["reveal_phone_number"] is False
    payload = {
        "matches": [
            {
                "id": "p1",
                "first_name": "Quinn",
                "last_name": "Mockford",
                "email": "Quinn@Example.net",
                "email_status": "verified",
                "organization": {
                    "id": "o1",
                    "name": "Glow",
                    "primary_domain": "glow.example",
                    "estimated_num_employees": 12,
                },
            }
        ],
        "credits_consumed": 1,
        "missing_records": 1,
    }
    response = apollo.parse_response(REQS, payload, 200)
    assert [r.matched for r in response.results] == [False, True]
    quinn = response.results[1]
    assert quinn.person and quinn.person.emails[0].address == "quinn@example.net"
    assert quinn.business and quinn.business.employee_count == 12
    assert response.credits_used == 1


def test_request_hash_is_order_independent_and_input_sensitive() -> None:
    assert request_hash("skiptrace", REQS) == request_hash("skiptrace", list(reversed(REQS)))
    changed = [REQS[0].model_copy(update={"city": "Dallas"}), REQS[1]]
    assert request_hash("skiptrace", REQS) != request_hash("skiptrace", changed)
    assert request_hash("skiptrace", REQS) != request_hash("apollo", REQS)
