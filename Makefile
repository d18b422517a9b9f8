# keysafe: the two commands are `make demo` and `make test`.
# Each works on a fresh clone with only Python 3.11+ and git: it creates .venv,
# installs keysafe and what it needs, then runs.

SHELL  := /bin/bash
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test bench venv system-deps clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || \
	  { echo "keysafe needs Python 3.11 or newer as '$(PYTHON)': install it, or run make PYTHON=python3.12 ..."; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "keysafe: setting up $(VENV) (first run only)..."
	@set -o pipefail; $(PY) -m pip install --quiet --upgrade pip 2>&1 | { grep -v '^WARNING: Location' || true; }
	@set -o pipefail; $(PY) -m pip install --quiet -e '.[test,bench]' 2>&1 | { grep -v '^WARNING: Location' || true; }
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

venv: $(STAMP)

# Debian packages that tests use as real servers/peers (redis-server, git-secrets, wrk).
system-deps:
	@sh scripts/system-deps.sh

demo: venv
	@$(VENV)/bin/keysafe demo

test: venv system-deps
	@$(PY) -m pytest

bench: venv system-deps
	@$(PY) bench/run.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .hypothesis src/*.egg-info
