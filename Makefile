# Two entry points for newcomers: `make report` (the default study, offline) and `make test`.
# `make check` is the rest of CI (.ci/run): lint, format, types, and the sdist/wheel a user would install.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: report test check clean

$(BIN)/eventstudy: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.dev-tools: $(BIN)/eventstudy
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

report: $(BIN)/eventstudy
	$(BIN)/eventstudy run events.yaml --source snapshot --out reports
	@echo "open reports/entity-list-2019/index.html"

test: $(BIN)/eventstudy
	$(BIN)/python -m pytest -q

check: $(VENV)/.dev-tools
	$(BIN)/ruff check eventstudy tests bench
	$(BIN)/ruff format --check eventstudy tests bench
	$(BIN)/mypy eventstudy
	PYTHON=$(PYTHON) BIN=$(BIN) bash .ci/package

clean:
	rm -rf $(VENV) build dist *.egg-info
