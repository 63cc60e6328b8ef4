# Stockroom: `make run` (the whole system on loopback) and `make test` (the full suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

.PHONY: help run fire provision test test-fast lint typecheck unit integration e2e browser infra checkov bench package zip-index deploy-local smoke lock deps-browser clean

help:
	@echo "make run      whole system locally (emulator, API, event runtime, web site, demo data)"
	@echo "make test     full suite (lint, types, unit, integration, infra, e2e, browser, checkov)"
	@echo "make bench    benchmarks, printing figures"
	@echo "make package  chalice package --pkg-format terraform --stage prod into terraform/"
	@echo "make deploy-local   package, terraform apply into a fresh local emulator, re-plan (no changes), destroy"
	@echo "make smoke URL=https://...   check a deployed site (or SMOKE_* settings: see docs/DEPLOY.md)"
	@echo "make lock     re-lock requirements*.txt (with hashes) from requirements*.in"
	@echo "make fire HANDLER=reconcile_stock   run a scheduled handler now against the running devstack"
	@echo "make redrive QUEUE=alert_emails     move a queue's dead-lettered messages back to it (running devstack)"

# The venv is installed from the lock (hashes checked, exact versions): what the tests run is what
# `make package` puts into the Lambda layer (requirements.txt, which requirements-dev.txt holds to).
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.txt
	touch $(STAMP)

$(CHECKOV_STAMP): requirements-checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --require-hashes -r requirements-checkov.txt
	touch $(CHECKOV_STAMP)

# Debian's Chromium for the browser tests (the only system package we need).
deps-browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils >/dev/null; fi; }

run: $(STAMP)
	$(PY) -m devstack run

provision: $(STAMP)
	$(PY) -m devstack provision

fire: $(STAMP)
	@test -n "$(HANDLER)" || { echo "usage: make fire HANDLER=<scheduled handler name>"; exit 2; }
	$(PY) -m devstack fire $(HANDLER)

.PHONY: redrive
redrive: $(STAMP)
	@test -n "$(QUEUE)" || { echo "usage: make redrive QUEUE=<queue key, e.g. alert_emails>"; exit 2; }
	$(PY) -m devstack redrive $(QUEUE)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy chalicelib

unit: $(STAMP)
	$(PY) -m pytest -q tests/unit

integration: $(STAMP)
	$(PY) -m pytest -q tests/integration

infra: $(STAMP) $(CHECKOV_STAMP)
	$(PY) -m pytest -q tests/infra

e2e: $(STAMP) deps-browser
	$(PY) -m pytest -q tests/e2e

test: $(STAMP) $(CHECKOV_STAMP) deps-browser
	$(MAKE) --no-print-directory lint typecheck
	$(PY) -m tests.parallel "tests/integration tests/unit tests/infra/test_rehearsal.py" \
		"tests/e2e tests/infra --ignore=tests/infra/test_rehearsal.py"

bench: $(STAMP)
	$(PY) -m bench

package: $(STAMP)
	$(PY) -m terraform.package

# Rebuild the zip-code index shipped in the Lambda from the pinned `zipcodes` package (after upgrading it).
zip-index: $(STAMP)
	$(PY) -m tools.zip_index

# The deployment rehearsed against the emulator (terraform binary and provider mirror needed).
deploy-local: $(STAMP)
	$(PY) -m terraform.rehearsal

# After a real apply: `make smoke URL=$$(terraform -chdir=terraform output -raw site_url)`.
smoke: $(STAMP)
	@test -n "$(URL)" || { echo "usage: make smoke URL=<site url> (see docs/DEPLOY.md for the smoke user)"; exit 2; }
	$(PY) -m tests.smoke "$(URL)"

# Adding a dependency: one line in requirements.in (runtime), requirements-dev.in (tools) or
# requirements-checkov.in (checkov's own venv), then
# `make lock`, commit the .in and .txt files. Existing pins are kept; `make lock UPGRADE=1` (or
# UPGRADE=<package>) moves them. docs/DEPLOY.md, "Dependencies".
LOCK_FLAGS := --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
lock:
	$(VENV)/bin/pip-compile $(LOCK_FLAGS) $(if $(UPGRADE),$(if $(filter 1,$(UPGRADE)),--upgrade,--upgrade-package $(UPGRADE))) --output-file requirements.txt requirements.in
	$(VENV)/bin/pip-compile $(LOCK_FLAGS) $(if $(UPGRADE),$(if $(filter 1,$(UPGRADE)),--upgrade,--upgrade-package $(UPGRADE))) --output-file requirements-dev.txt requirements-dev.in
	$(VENV)/bin/pip-compile $(LOCK_FLAGS) $(if $(UPGRADE),$(if $(filter 1,$(UPGRADE)),--upgrade,--upgrade-package $(UPGRADE))) --output-file requirements-checkov.txt requirements-checkov.in

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .devstack build .pytest_cache .mypy_cache .ruff_cache
