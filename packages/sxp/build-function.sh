#!/usr/bin/env bash
# Shared build for every sxp function: install the sxp package (from the repo root) and its
# runtime dependencies into ./virtualenv, the layout DigitalOcean's Python runtime loads.
# The embedded-Postgres dependency (pgserver) is left out: functions always use DATABASE_URL.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
target="virtualenv/lib/python3.11/site-packages"
rm -rf virtualenv
mkdir -p "$target"
python3 -m pip install --quiet --no-deps --target "$target" "$root"
python3 - "$root/pyproject.toml" > requirements.build.txt <<'PY'
import sys, tomllib
deps = tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"]
print("\n".join(d for d in deps if not d.startswith("pgserver")))
PY
python3 -m pip install --quiet --target "$target" -r requirements.build.txt
rm -f requirements.build.txt
