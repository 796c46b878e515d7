# Two commands for a newcomer: `make demo` and `make test`. Both install what they need, pinned.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
SERVE ?= 1

.PHONY: demo test bench lint lock browser clean

$(INSTALLED): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --requirement requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation --editable .
	touch $@

demo: $(INSTALLED)
	$(BIN)/abord demo $(if $(filter 0,$(SERVE)),--no-serve,--serve)

# The browser tests drive Debian's chromium; install it when it is missing and we may (CI runs as root).
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "chromium missing and not root: browser tests will be skipped"; }

test: $(INSTALLED) browser
	$(BIN)/ruff check .
	$(BIN)/pytest

bench: $(INSTALLED)
	$(BIN)/python -m tests.bench $(if $(PERSONS),--persons $(PERSONS))

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Re-pin every dependency from pyproject.toml into requirements.lock (run after changing dependencies).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --disable-pip-version-check ".[dev]"
	.lock-venv/bin/pip freeze --all --exclude abord > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) dbt_project/target dbt_project/logs
