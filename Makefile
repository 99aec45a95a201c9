# Trident: `make run` starts the whole system, `make test` runs every test. `make help` lists the rest.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Two stamps: `make run` installs what running needs, `make test` (and lint, proto, bench) the dev extras too.
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed
# pip, quiet: no version check, and none of the "Location '…' is ignored" lines a machine-wide pip.conf naming a
# missing index makes on every install (the build backend's editable-install banner neither); errors still show.
PIP := PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONWARNINGS=ignore::UserWarning $(PY) -m pip --quiet
PIP_QUIET_FILTER := 2>&1 | { grep -v -E "^WARNING: Location '.*' is ignored: it is neither a file nor a directory\.$$" || true; }
# npm, quiet: warnings about a user's ~/.npmrc (e.g. `Unknown user config "nodedir"`) are not this project's.
NPM_QUIET := npm_config_loglevel=error npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
WEB_SOURCES := $(shell find web/src web/public web/scripts web/index.html web/package.json web/package-lock.json web/vite.config.ts web/tsconfig*.json -type f 2>/dev/null)
APT_PACKAGES := kcat chromium prometheus kubernetes-client wrk hey nginx

.DEFAULT_GOAL := help
.PHONY: help run test install install-run system-deps web proto lint unit pytest bench clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: ## start the whole system on embedded PostgreSQL and the development Kafka broker
	@$(MAKE) -s --no-print-directory -j2 install-run web
	$(VENV)/bin/trident up

test: install system-deps web lint ## install what the tests need and run the whole suite
	cd web && npm test
	cd tests/postman && $(NPM_QUIET) npm ci
	$(PY) -m pytest

install: $(STAMP) ## create .venv and install the project with its dev extras (test tools)

install-run: $(RUN_STAMP) ## create .venv and install what running the system needs, no test tools

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# The dev install covers what running needs, so it satisfies `make run` too. Without byte-compiling every
# installed module up front: a process compiles what it imports, a fraction of it.
$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	@if [ $(STAMP) -nt pyproject.toml ]; then touch $@; else \
	  echo "installing the project into $(VENV)"; set -o pipefail; \
	  $(PIP) install --no-compile -e . $(PIP_QUIET_FILTER) && touch $@; fi

$(STAMP): pyproject.toml | $(VENV)/bin/python
	@echo "installing the project with its dev extras into $(VENV)"; set -o pipefail; \
	$(PIP) install -e '.[dev]' $(PIP_QUIET_FILTER)
	touch $@ $(RUN_STAMP)

system-deps: ## install the Debian tools the tests and benchmarks drive (kcat, chromium, prometheus, kubectl, wrk, hey, nginx)
	@missing=""; \
	command -v kcat >/dev/null || missing="$$missing kcat"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v prometheus >/dev/null || missing="$$missing prometheus"; \
	command -v kubectl >/dev/null || missing="$$missing kubernetes-client"; \
	command -v wrk >/dev/null || missing="$$missing wrk"; \
	command -v hey >/dev/null || missing="$$missing hey"; \
	command -v nginx >/dev/null || test -x /usr/sbin/nginx || missing="$$missing nginx"; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    echo "installing$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || true; \
	  else echo "missing:$$missing (install them with your package manager)"; fi; \
	fi; \
	for tool in kcat chromium prometheus kubectl wrk hey; do command -v $$tool >/dev/null || { echo "$$tool is required by the tests"; exit 1; }; done; \
	command -v nginx >/dev/null || test -x /usr/sbin/nginx || { echo "nginx is required by the benchmarks"; exit 1; }

web: web/dist/index.html ## build the web app into web/dist when it is missing or stale

web/dist/index.html: $(WEB_SOURCES)
	@echo "building the web app into web/dist"
	cd web && $(NPM_QUIET) npm ci && $(NPM_QUIET) npm run --silent build
	touch $@

proto: install ## regenerate api/gen (messages and typed clients), the OpenAPI, AsyncAPI and Postman documents
	$(PY) -m tools.protoc
	$(PY) -m tools.generate_clients
	$(PY) -m tools.contract_docs
	$(PY) -m tools.postman
	test -d web/node_modules || (cd web && npm ci --no-audit --no-fund --loglevel=error)
	cd web && npm run --silent api-types

lint: install ## ruff and mypy over the hand-written Python
	$(VENV)/bin/ruff check internal tools tests benchmarks
	$(VENV)/bin/mypy

bench: install system-deps ## measured performance, side by side (benchmarks/); BENCH_ARGS="--quick" or "--profile gateway"
	$(PY) -m benchmarks $(BENCH_ARGS)

clean: ## remove build outputs and local state (not .venv)
	rm -rf web/dist .trident .pytest_cache .mypy_cache .ruff_cache
