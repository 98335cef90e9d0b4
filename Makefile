# Targets CI and users call verbatim. Each sets up what it needs (virtualenv, packages).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.sxp-installed

.PHONY: demo test bench lint typecheck clean

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

lint: $(STAMP)
	$(BIN)/ruff check shared tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .sxp
