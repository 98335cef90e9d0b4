# Targets CI and users call verbatim. Each sets up what it needs (virtualenv, packages).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.sxp-installed

.PHONY: demo test bench fuzz lint typecheck clean

# the native ingest path (a C extension) is built by this install; its sources are prerequisites
$(STAMP): pyproject.toml setup.py $(wildcard shared/sxp/native/*.c shared/sxp/native/*.h)
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "sxp needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/sxp demo

# A private basetemp: pytest prunes old folders in the shared one, which would pull the test
# Postgres' data directory from under a concurrent run.
test: $(STAMP)
	@d=$$(mktemp -d /tmp/sxp-test.XXXXXX); $(BIN)/pytest --basetemp=$$d; rc=$$?; rm -rf $$d; exit $$rc

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
