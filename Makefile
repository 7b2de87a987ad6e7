# ledgersync — the two commands: `make run` and `make test`. Each sets up what it needs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: run test venv migrate contracts browser lint fuzz clean bench

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "ledgersync needs Python >= 3.11 (found $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

venv: $(STAMP)

migrate: venv
	$(VENV)/bin/ledgersync migrate

## Everything in one process (api :8080, webhook-receiver :8081, sandbox provider :8090,
## workers, scheduler) with development secrets.
run: migrate
	@cat deploy/try-it.txt
	$(VENV)/bin/ledgersync run

## The whole suite against real PostgreSQL and RabbitMQ (its own database and vhost).
test: venv browser
	$(PY) -m pytest -q

## ruff (configured in pyproject.toml); `.ci/run` runs it before the tests.
lint: venv
	$(PY) -m ruff check .

## schemathesis, all checks, against a running system (also part of `make test`).
fuzz: venv
	$(PY) -m pytest -q tests/e2e/test_fuzz.py

## Headless Chromium for the consent-page test comes from Debian, never a browser download.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

contracts: venv
	$(PY) -m contracts.generate

bench: venv
	$(VENV)/bin/ledgersync bench pipeline --events 500

clean:
	rm -rf $(VENV) .pytest_cache tests/.logs
