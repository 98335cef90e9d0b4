"""`sxp rules check FILE`: every mistake of a rules file, one per line; exit 2 if any.
`sxp rules diff FILE`: the same check, then what the file would change (JSON on stdout)."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sxp.domain.cards import label_facts
from sxp.domain.rules import Ruleset
from sxp.domain.rules_check import check_rules

if TYPE_CHECKING:
    from sxp.bootstrap import App


def check_rules_file(path: Path) -> int:
    return 0 if _checked(path) is not None else 2


def diff_rules_file(app: App, path: Path) -> int:
    from sxp.pipeline.rules_diff import diff_rules

    ruleset = _checked(path, quiet=True)
    if ruleset is None:
        return 2
    print(json.dumps(dataclasses.asdict(diff_rules(app, ruleset)), indent=2))
    return 0


def _checked(path: Path, *, quiet: bool = False) -> Ruleset | None:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        print(f"sxp: error [rules_unreadable]: cannot read {path}: {exc.strerror}",
              file=sys.stderr)
        return None
    ruleset, findings = check_rules(raw, facts=label_facts({}, {}).keys())
    for finding in findings:
        print(f"{path}: {finding}", file=sys.stderr)
    if findings or ruleset is None:
        print(f"{path}: {len(findings)} problem(s)", file=sys.stderr)
        return None
    if not quiet:
        print(f"{path}: ok — ruleset {ruleset.version}: {len(ruleset.rules)} rules,"
              f" {len(ruleset.labels)} labels, sha256 {ruleset.checksum[:12]}")
    return ruleset
