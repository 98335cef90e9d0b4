"""`sxp rules check FILE`: every mistake of a rules file, one per line; exit 2 if any."""

from __future__ import annotations

import sys
from pathlib import Path

from sxp.domain.cards import label_facts
from sxp.domain.rules_check import check_rules


def check_rules_file(path: Path) -> int:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        print(f"sxp: error [rules_unreadable]: cannot read {path}: {exc.strerror}",
              file=sys.stderr)
        return 2
    ruleset, findings = check_rules(raw, facts=label_facts({}, {}).keys())
    for finding in findings:
        print(f"{path}: {finding}", file=sys.stderr)
    if findings or ruleset is None:
        print(f"{path}: {len(findings)} problem(s)", file=sys.stderr)
        return 2
    print(f"{path}: ok — ruleset {ruleset.version}: {len(ruleset.rules)} rules,"
          f" {len(ruleset.labels)} labels, sha256 {ruleset.checksum[:12]}")
    return 0
