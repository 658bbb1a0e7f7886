# Two entry points for newcomers: `make report` (the default study, offline) and `make test`.
# `make check` is the rest of CI (.ci/run): lint, format, types, the sdist/wheel a user would install, and the
# reports opened in headless Chromium (`make browser-check`, which installs Debian's chromium when it is missing).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: report test check browser-check clean
BROWSER_DIR := build/browser-check

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

# The suite in one process per CPU (pytest-xdist; at most TEST_WORKERS, one on a one-CPU machine).
TEST_WORKERS ?= 4
test: $(BIN)/eventstudy
	$(BIN)/python -m pytest -q -n auto --maxprocesses $(TEST_WORKERS)

check: $(VENV)/.dev-tools
	$(BIN)/ruff check eventstudy tests bench
	$(BIN)/ruff format --check eventstudy tests bench
	$(BIN)/mypy eventstudy
	PYTHON=$(PYTHON) BIN=$(BIN) bash .ci/package
	$(MAKE) browser-check

# The default report (<= 1.5 MB) and a 5,000-firm-event report (< 10 MB, needs ../shared/data's Shenzhen universe)
# in headless Chromium: no console error, every figure drawn, the headline table within the first 900 px.
browser-check: $(BIN)/eventstudy
	command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	rm -rf $(BROWSER_DIR)
	$(BIN)/eventstudy run events.yaml --source snapshot --out $(BROWSER_DIR)
	$(BIN)/python -m bench.browser_check --max-mb 1.5 $(BROWSER_DIR)/entity-list-2019/index.html
	$(BIN)/python -m bench.large_report $(BROWSER_DIR)/large --firm-events 5000 --events 50
	$(BIN)/python -m bench.browser_check --max-mb 10 $(BROWSER_DIR)/large/szse-table/index.html

clean:
	rm -rf $(VENV) build dist *.egg-info
