"""`sxp rules check`: each kind of mistake is found and placed; the shipped rules are clean."""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
import pytest

from sxp.domain.cards import label_facts
from sxp.domain.rules_check import check_rules
from sxp.entrypoints.cli import main

SHIPPED = resources.files("sxp").joinpath("rules", "v1.json").read_bytes()
FACTS = label_facts({}, {}).keys()


def _check(doc: dict[str, Any]) -> list[str]:
    _ruleset, findings = check_rules(orjson.dumps(doc), FACTS)
    return [str(f) for f in findings]


def _shipped() -> dict[str, Any]:
    return copy.deepcopy(orjson.loads(SHIPPED))


def test_the_shipped_rules_are_clean() -> None:
    ruleset, findings = check_rules(SHIPPED, FACTS)
    assert ruleset is not None and findings == []


def test_json_and_schema_mistakes_are_placed() -> None:
    (only,) = _check_raw(b"{not json")
    assert only.startswith("file: not JSON: ") and "line 1 column 2" in only
    doc = _shipped()
    doc["rules"][2]["when"] = {"field": "bio", "op": "has", "value": ["x"]}
    doc["rules"][3]["colour"] = "red"
    found = _check(doc)
    assert any(f.startswith("rules[2].when.op:") and "'contains_any'" in f for f in found)
    assert any(f.startswith("rules[3].colour:") and "Extra inputs" in f for f in found)


def _check_raw(raw: bytes) -> list[str]:
    return [str(f) for f in check_rules(raw, FACTS)[1]]


def test_unknown_fields_and_labels_decided_later_are_found() -> None:
    doc = _shipped()
    doc["rules"][0]["when"] = {"all": [{"field": "bioo", "op": "exists"},
                                       {"field": "execution_label", "op": "eq", "value": "x"}]}
    found = _check(doc)
    assert any(f.startswith("rules[0] (persona.real_estate_agent) when.all[0]: unknown field"
                            " 'bioo'") for f in found)
    assert "rules[0] (persona.real_estate_agent) when.all[1]: label 'execution_label' is" \
           " decided after 'persona', which this rule sets: not a fact yet" in found


def test_ordering_ops_need_numbers_and_contradictions_never_match() -> None:
    doc = _shipped()
    doc["rules"][7]["when"] = {"all": [{"field": "followers", "op": "gt", "value": "1000"},
                                       {"field": "platform", "op": "eq", "value": "x"},
                                       {"field": "platform", "op": "eq", "value": "tiktok"}]}
    found = _check(doc)
    assert any("when.all[0]: op gt needs a number, not '1000'" in f for f in found)
    assert any(f.endswith("when: can never match (one field equal to two values)")
               for f in found)


def test_shadowed_rules_are_unreachable_in_either_mode() -> None:
    doc = _shipped()
    first = doc["rules"][0]
    doc["rules"].insert(1, {**first, "id": "persona.same_again"})  # first_match: same when
    doc["rules"].append({"id": "exec.never", "when": copy.deepcopy(doc["rules"][12]["when"]),
                         "priority": -5, "set": {"execution_label": "hold"}})
    doc["rules"].insert(0, {"id": "pool.always", "when": {"all": []},
                            "set": {"audience_pool": "everyone"}})
    found = _check(doc)
    unreachable = sorted(f.split(" ")[1] for f in found if "unreachable" in f)
    assert unreachable == ["(exec.never):", "(persona.same_again):", "(pool.business_intl):",
                           "(pool.creator_partnerships):", "(pool.local_pros_us):",
                           "(pool.us_consumers):"]


def test_a_gate_label_no_rule_produces_is_found() -> None:
    doc = _shipped()
    doc["gate"]["enrichable_labels"].append("enrich_nwo")
    assert _check(doc) == ["gate.enrichable_labels[2]: 'enrich_nwo' is an execution label no"
                           " rule or default produces"]


def test_the_command_exits_2_listing_each_problem(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_bytes(SHIPPED)
    doc = _shipped()
    doc["gate"]["enrichable_labels"].append("enrich_nwo")
    doc["rules"][0]["when"] = {"field": "bioo", "op": "exists"}
    bad.write_bytes(orjson.dumps(doc))
    assert main(["rules", "check", str(good)]) == 0
    assert "ok — ruleset 2026.11-v1: 16 rules, 4 labels" in capsys.readouterr().out
    assert main(["rules", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "unknown field 'bioo'" in err and "'enrich_nwo'" in err and "2 problem(s)" in err
    assert main(["rules", "check", str(tmp_path / "missing.json")]) == 2
    assert "rules_unreadable" in capsys.readouterr().err
