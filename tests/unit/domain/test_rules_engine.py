from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from sxp.adapters.rules_file import load_ruleset
from sxp.config import Settings
from sxp.domain.rules import Condition, label, matches, parse_ruleset
from sxp.errors import ConfigError


def cond(**raw: Any) -> Condition:
    return Condition.model_validate(raw)


@pytest.mark.parametrize(("raw", "facts", "expected"), [
    ({"field": "platform", "op": "eq", "value": "x"}, {"platform": "x"}, True),
    ({"field": "platform", "op": "eq", "value": "x"}, {"platform": "tiktok"}, False),
    ({"field": "platform", "op": "ne", "value": "x"}, {"platform": "tiktok"}, True),
    ({"field": "platform", "op": "ne", "value": "x"}, {}, True),
    ({"field": "platform", "op": "in", "value": ["x", "threads"]}, {"platform": "threads"}, True),
    ({"field": "platform", "op": "in", "value": ["x"]}, {}, False),
    ({"field": "platform", "op": "not_in", "value": ["x"]}, {"platform": "tiktok"}, True),
    ({"field": "followers", "op": "gte", "value": 100}, {"followers": 100}, True),
    ({"field": "followers", "op": "gte", "value": 100}, {"followers": 99}, False),
    ({"field": "followers", "op": "gte", "value": 100}, {"followers": None}, False),
    ({"field": "followers", "op": "lte", "value": 100}, {"followers": 100}, True),
    ({"field": "followers", "op": "lte", "value": 100}, {"followers": 101}, False),
    ({"field": "followers", "op": "gt", "value": 100}, {"followers": 100}, False),
    ({"field": "followers", "op": "lt", "value": 100}, {"followers": 99}, True),
    ({"field": "followers", "op": "lt", "value": 100}, {"followers": "many"}, False),
    ({"field": "bio", "op": "contains_any", "value": ["realtor"]}, {"bio": "Top REALTOR!"}, True),
    ({"field": "bio", "op": "contains_any", "value": ["real estate"]},
     {"bio": "Austin real \n estate"}, True),
    ({"field": "bio", "op": "contains_any", "value": ["real estate"]},
     {"bio": "Real Estate in Austin"}, True),
    ({"field": "bio", "op": "contains_any", "value": ["art"]}, {"bio": "smart home"}, False),
    ({"field": "bio", "op": "contains_any", "value": ["mua"]}, {"bio": None}, False),
    ({"field": "bio_url", "op": "exists"}, {"bio_url": "https://a.example.com"}, True),
    ({"field": "bio_url", "op": "exists"}, {"bio_url": ""}, False),
    ({"field": "bio_url", "op": "exists", "value": False}, {}, True),
])
def test_each_operator(raw: dict[str, Any], facts: dict[str, Any], expected: bool) -> None:
    assert matches(cond(**raw), facts) is expected


def test_all_any_not_combinators() -> None:
    c = cond(all=[{"field": "a", "op": "eq", "value": 1},
                  {"any": [{"field": "b", "op": "eq", "value": 2},
                           {"not": {"field": "c", "op": "exists"}}]}])
    assert matches(c, {"a": 1, "b": 2, "c": 3})
    assert matches(c, {"a": 1, "b": 0})
    assert not matches(c, {"a": 1, "b": 0, "c": 3})
    assert not matches(c, {"a": 0, "b": 2})


@pytest.mark.parametrize("raw", [
    {"field": "a", "op": "regex", "value": "x"},
    {"field": "a", "op": "in", "value": "x"},
    {"op": "eq", "value": 1},
    {"field": "a", "op": "eq", "value": 1, "all": []},
    {},
])
def test_invalid_conditions_are_refused(raw: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        cond(**raw)


def ruleset(**overrides: Any) -> bytes:
    doc: dict[str, Any] = {
        "version": "test-1",
        "labels": [{"name": "persona", "default": "other"},
                   {"name": "execution_label", "mode": "priority", "default": "export_only"}],
        "rules": [
            {"id": "p.coach", "when": {"field": "bio", "op": "contains_any", "value": ["coach"]},
             "set": {"persona": "coach"}},
            {"id": "p.any", "when": {"field": "bio", "op": "exists"}, "set": {"persona": "any"}},
            {"id": "e.low", "priority": 1, "when": {"field": "persona", "op": "eq",
                                                    "value": "coach"},
             "set": {"execution_label": "enrich_later"}},
            {"id": "e.high", "priority": 5, "when": {"field": "followers", "op": "gte",
                                                     "value": 10},
             "set": {"execution_label": "enrich_now"}},
            {"id": "e.tie", "priority": 5, "when": {"field": "followers", "op": "gte",
                                                    "value": 0},
             "set": {"execution_label": "hold"}},
        ],
        "gate": {"enrichable_labels": ["enrich_now"]},
    }
    doc.update(overrides)
    return json.dumps(doc).encode()


def test_first_match_priority_defaults_and_rules_fired() -> None:
    rs = parse_ruleset(ruleset())
    got = label(rs, {"bio": "Fitness coach", "followers": 50})
    assert got.labels == {"persona": "coach", "execution_label": "enrich_now"}
    assert got.rules_fired == ["p.coach", "e.high"]  # e.tie loses the tie to file order
    got = label(rs, {"bio": "Fitness coach", "followers": None})
    assert got.labels["execution_label"] == "enrich_later"  # later labels see earlier ones
    got = label(rs, {})
    assert got.labels == {"persona": "other", "execution_label": "export_only"}
    assert got.rules_fired == []


def test_versioning_and_checksum() -> None:
    a, b = parse_ruleset(ruleset()), parse_ruleset(ruleset(version="test-2"))
    assert (a.version, b.version) == ("test-1", "test-2")
    assert a.checksum != b.checksum and len(a.checksum) == 64
    with pytest.raises(ValidationError):
        parse_ruleset(ruleset(version=""))
    with pytest.raises(ValidationError):
        parse_ruleset(ruleset(rules=[{"id": "x", "when": {"field": "a", "op": "exists"},
                                      "set": {"tribe": "t"}}]))  # unknown label
    dup = {"id": "x", "when": {"field": "a", "op": "exists"}, "set": {"persona": "p"}}
    with pytest.raises(ValidationError):
        parse_ruleset(ruleset(rules=[dup, dup]))


def test_packaged_ruleset_loads_and_custom_file_wins(tmp_path: Any) -> None:
    shipped = load_ruleset(Settings())
    assert shipped.version == "2026.11-v1"
    assert {s.name for s in shipped.labels} == {"persona", "tribe", "audience_pool",
                                                "execution_label"}
    assert shipped.gate.enrichable_labels == ["enrich_now", "enrich_later"]
    path = tmp_path / "rules.json"
    path.write_bytes(ruleset())
    assert load_ruleset(Settings(SXP_RULES_FILE=path)).version == "test-1"
    path.write_text("{not json")
    with pytest.raises(ConfigError) as err:
        load_ruleset(Settings(SXP_RULES_FILE=path))
    assert err.value.reason_code == "rules_invalid"
    with pytest.raises(ConfigError):
        load_ruleset(Settings(SXP_RULES_FILE=tmp_path / "missing.json"))


@pytest.mark.parametrize(("facts", "expected"), [
    ({"bio": "Realtor in town", "has_person_name": True, "has_us_location": True,
      "readiness": "partial", "posts": 50, "followers": 400, "account_age_days": 800},
     ("real_estate_agent", "us_local_pros", "enrich_now")),
    ({"bio": "Content creator | brand deals", "followers": 250000, "posts": 900,
      "readiness": "ready", "account_age_days": 2000}, ("creator", "creator_partnerships",
                                                         "export_only")),
    ({"bio": "Hair stylist", "has_person_name": True, "has_us_location": True,
      "readiness": "thin", "posts": 50, "followers": 400}, ("beauty_pro", "us_local_pros",
                                                            "hold")),
    ({"bio": "new here", "posts": 1, "followers": 3, "readiness": "thin"},
     ("general_audience", "broad_consumer", "hold")),
])
def test_shipped_ruleset_labels(facts: dict[str, Any], expected: tuple[str, str, str]) -> None:
    got = label(load_ruleset(Settings()), facts).labels
    assert (got["persona"], got["audience_pool"], got["execution_label"]) == expected


def test_every_shipped_rule_can_fire() -> None:
    shipped = load_ruleset(Settings())
    active = {"posts": 100, "followers": 800, "account_age_days": 900, "readiness": "partial"}
    named_us = {**active, "has_person_name": True, "has_us_location": True}
    facts = [
        {**named_us, "bio": "Realtor"}, {**named_us, "bio": "Personal trainer"},
        {**named_us, "bio": "Lash tech"}, {**named_us, "bio": "Roofing and plumbing"},
        {**named_us, "bio": "Bakery owner"}, {**named_us, "bio": "Founder of a boutique"},
        {**active, "bio": "Content creator"}, {**active, "bio": "Realtor"},
        {**active, "has_us_location": True, "bio": "hello"},
        {**named_us, "has_person_name": False, "bio": "Shop owner", "has_us_location": False},
        {"posts": 1, "followers": 3}, {**active, "account_age_days": 3},
        {**active, "readiness": "thin"},
        {**active, "has_person_name": True, "has_us_location": True, "bio": "Content creator"},
    ]
    fired = {rule for f in facts for rule in label(shipped, f).rules_fired}
    assert fired == {rule.id for rule in shipped.rules}
