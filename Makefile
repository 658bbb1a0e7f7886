# Two entry points for newcomers: `make report` (the default study, offline) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: report test clean

$(BIN)/eventstudy: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

report: $(BIN)/eventstudy
	$(BIN)/eventstudy run events.yaml --source snapshot --out reports
	@echo "open reports/entity-list-2019/index.html"

test: $(BIN)/eventstudy
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) build *.egg-info
