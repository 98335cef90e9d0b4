#!/usr/bin/env bash
# Deploy sxp's functions to a standalone DigitalOcean Functions namespace (deploy shape 2,
# deploy/README.md): the committed tree (git archive HEAD) with project.yml's functions and the
# scheduled triggers of triggers.yml, built and deployed by doctl.
#
#   doctl serverless connect <namespace>
#   set -a; . ./functions.env; set +a     # DATABASE_URL (TLS), SPACES_*, SXP_ENV, keys …
#   deploy/functions-namespace/deploy.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"  # `make` made it; assemble.py needs PyYAML
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git -C "$root" archive HEAD | tar -x -C "$work"
"$python" "$root/deploy/functions-namespace/assemble.py" "$work"
doctl serverless deploy "$work" "$@"
