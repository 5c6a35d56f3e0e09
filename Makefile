# The two commands: `make run` and `make test`. Each builds .venv when missing.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
DEMO   ?= 1

.PHONY: run test check clean drill

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m thidua.cli run --demo=$(DEMO)

# The static checks first (seconds), then the whole suite against real PostgreSQL and NATS.
test: check
	$(PY) -m pytest $(PYTEST_ARGS)

# Lint and format (ruff), types (mypy) and the import contracts of the layering (import-linter).
check: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# A local cluster under faults (thidua/drill.py): 3 NATS nodes, 2 replicas of each service, about 1.5 minutes.
drill: $(STAMP)
	$(PY) -m thidua.cli drill

clean:
	rm -rf $(VENV) var
