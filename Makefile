# Targets CI and users call verbatim. Each sets up what it needs (virtualenv, packages).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.sxp-installed

.PHONY: demo test browser bench fuzz lint typecheck lock clean

# the native ingest path (a C extension) is built by this install; its sources are prerequisites
# Every install takes the versions of the lock files (requirements/*.lock, hashes checked), so
# the tests, the function build and both images run the same packages; `make lock` renews them.
$(STAMP): pyproject.toml setup.py requirements/dev.lock $(wildcard shared/sxp/native/*.c shared/sxp/native/*.h)
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "sxp needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	@# the wheels a function build installs, for the tests to build one offline
	$(BIN)/pip download --quiet --require-hashes -r requirements/core.lock -d $(VENV)/wheelhouse
	@touch $(STAMP)

# Resolve pyproject.toml's ranges afresh into the lock files: dev (make), core (the functions
# and the worker image), api (the API image) and build (setuptools, for the images), the
# others constrained to dev's versions.
LOCK = $(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes --quiet
lock: $(STAMP)
	$(LOCK) --upgrade --extra dev -o requirements/dev.lock
	$(LOCK) -c requirements/dev.lock -o requirements/core.lock
	$(LOCK) --extra server -c requirements/dev.lock -o requirements/api.lock
	$(BIN)/uv pip compile requirements/build.in --universal --python-version 3.11 \
	  --generate-hashes --quiet -c requirements/dev.lock -o requirements/build.lock

demo: $(STAMP)
	$(BIN)/sxp demo

# A private basetemp: pytest prunes old folders in the shared one, which would pull the test
# Postgres' data directory from under a concurrent run.
# The console's browser tests drive Debian's chromium through its chromedriver: fetched from
# the distribution's packages when missing and run as root on Debian or Ubuntu; elsewhere
# those tests fail saying what to install.
test: $(STAMP) browser
	@d=$$(mktemp -d /tmp/sxp-test.XXXXXX); $(BIN)/pytest --basetemp=$$d; rc=$$?; rm -rf $$d; exit $$rc

browser:
	@command -v chromedriver >/dev/null && { command -v chromium >/dev/null || \
	  command -v chromium-browser >/dev/null; } || { [ "$$(id -u)" = 0 ] && \
	  command -v apt-get >/dev/null && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver \
	  >/dev/null; } || echo "make: no chromium/chromedriver (apt-get install chromium \
	  chromium-driver): the console's browser tests will fail"

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/cards_label_gate.py
	$(BIN)/python bench/enrich.py
	$(BIN)/python bench/export.py

# Coverage-guided fuzzing (atheris' libFuzzer) of the native ingest path against the Python
# path, on the extension built by clang with AddressSanitizer, UndefinedBehaviorSanitizer and
# coverage, for FUZZ_SECONDS. clang comes from Debian's packages when missing (as root).
# New inputs go to .sxp/fuzz-corpus; findings to fuzz/findings/ (add them to fuzz/corpus/).
FUZZ_SECONDS ?= 600
fuzz: $(STAMP)
	@command -v clang >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang >/dev/null; } || \
	  { echo "make fuzz needs clang: apt-get install clang"; exit 2; }
	$(BIN)/pip install --quiet 'atheris>=2.3'
	@mkdir -p .sxp/fuzz-corpus fuzz/findings
	$(BIN)/python fuzz/build_sanitized.py --libfuzzer .sxp/libfuzzer -- \
	  $(BIN)/python fuzz/native_harness.py --atheris -- .sxp/fuzz-corpus fuzz/corpus \
	  -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=30 -artifact_prefix=fuzz/findings/

lint: $(STAMP)
	$(BIN)/ruff check shared tests bench fuzz

typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .sxp
