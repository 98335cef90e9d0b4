#!/usr/bin/env bash
# Shared build for every sxp function, run by each function's build.sh in its own folder:
# install the sxp package (from the repo root) and the runtime dependencies pinned in
# requirements/core.lock (hashes checked: the versions the tests ran) into ./virtualenv, the
# layout DigitalOcean's Python runtime loads. Neither the embedded Postgres (functions always
# use DATABASE_URL) nor uvicorn (web functions go through Mangum) is installed.
#
# DigitalOcean refuses a function build over 48 MB zipped, so the build trims what functions
# never load (botocore's and boto3's data for services other than S3, the CLI's libraries, tests,
# type stubs; the bytecode stays, for cold starts) and
# prints its size unpacked and zipped; tests/unit/deploy/test_function_build.py holds it to it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
python="${PYTHON:-python3}"
site="virtualenv/lib/python3.11/site-packages"
rm -rf virtualenv
mkdir -p "$site"
"$python" -m pip install --quiet --disable-pip-version-check --target "$site" \
  --require-hashes -r "$root/requirements/core.lock"
rm -rf "$site/bin"  # console scripts: functions never run them
# the build python's own setuptools where it has one (no download); else pip fetches it
isolation=""
"$python" -c "import setuptools.command.bdist_wheel" 2>/dev/null && isolation="--no-build-isolation"
"$python" -m pip install --quiet --disable-pip-version-check --target "$site" \
  --no-deps $isolation "$root"
rm -rf "$site/bin"

# botocore: keep the endpoint and retry tables and the S3 model, drop every other service
for service in "$site"/botocore/data/*/; do
  [ "$(basename "$service")" = s3 ] || rm -rf "$service"
done
for resource in "$site"/boto3/data/*/; do
  [ "$(basename "$resource")" = s3 ] || rm -rf "$resource"
done
# the command line's libraries: functions never run the CLI (the worker image does)
for cli_only in typer rich pygments markdown_it:markdown_it_py mdurl shellingham; do
  module="${cli_only%%:*}" dist="${cli_only##*:}"
  rm -rf "${site:?}/$module" "$site/$dist"-*.dist-info
done
find "$site" -depth -name tests -type d -exec rm -rf {} +
find "$site" -name '*.pyi' -delete

"$python" - "$site" <<'PY'
import io, os, sys, zipfile

root = "virtualenv"
unpacked = 0
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            unpacked += os.path.getsize(path)
            archive.write(path)
mb = 1024 * 1024
print(f"function build: {unpacked / mb:.1f} MB unpacked, {len(buffer.getvalue()) / mb:.1f} MB "
      f"zipped (DigitalOcean's limit: 48 MB zipped)")
PY
