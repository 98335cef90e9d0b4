"""Assemble the standalone-namespace project: the repo's files with ../../project.yml plus the
scheduled triggers of triggers.yml. Used by deploy.sh, and by the functions-mode tests to
read the project as deployed.

    python deploy/functions-namespace/assemble.py OUT_DIR   # writes OUT_DIR/project.yml
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MAX_SCHEDULED_TRIGGERS = 3  # per namespace


def namespace_project() -> dict[str, Any]:
    """project.yml with the namespace's triggers attached to their functions."""
    project: dict[str, Any] = yaml.safe_load((ROOT / "project.yml").read_text())
    triggers: dict[str, list[dict[str, Any]]] = yaml.safe_load(
        (HERE / "triggers.yml").read_text())
    functions = {f["name"]: f for package in project["packages"]
                 for f in package["functions"]}
    unknown = sorted(set(triggers) - set(functions))
    if unknown:
        raise SystemExit(f"triggers.yml names functions project.yml lacks: {unknown}")
    count = sum(len(t) for t in triggers.values())
    if count > MAX_SCHEDULED_TRIGGERS:
        raise SystemExit(f"{count} scheduled triggers; a namespace allows "
                         f"{MAX_SCHEDULED_TRIGGERS}")
    for name, function_triggers in triggers.items():
        functions[name]["triggers"] = function_triggers
    return project


def main(out_dir: str) -> None:
    target = Path(out_dir) / "project.yml"
    target.write_text("# assembled by deploy/functions-namespace/assemble.py\n"
                      + yaml.safe_dump(namespace_project(), sort_keys=False))
    print(f"wrote {target}")


if __name__ == "__main__":
    main(sys.argv[1])
