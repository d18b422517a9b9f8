# keysafe: the two commands are `make demo` and `make test`.
# Each works on a fresh clone with only Python 3.11+ and git: it creates .venv,
# installs keysafe and what it needs, then runs.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test bench venv system-deps clean lint

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e '.[test,bench]'
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
