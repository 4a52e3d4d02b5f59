# Shouhu — every set-up step a fresh machine needs. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
VENDOR := static/vendor

.DEFAULT_GOAL := help
.PHONY: bench-exchange bench-registry help run test lint install install-dev assets setup serve worker demo-data regions messages lock clean check-deploy

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-14s %s\n", $$1, $$2}'

$(VENV)/.installed-base: requirements/base.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check -r requirements/base.txt
	@touch $@

$(VENV)/.installed-dev: requirements/dev.txt $(VENV)/.installed-base
	$(PIP) install --quiet --disable-pip-version-check -r requirements/dev.txt
	@touch $@

install: $(VENV)/.installed-base ## Create the virtual environment and install the pinned runtime packages

install-dev: $(VENV)/.installed-dev ## Install the pinned test, lint and type-check packages too

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

$(VENDOR)/.copied: node_modules/.package-lock.json
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/bootstrap $(VENDOR)/htmx $(VENDOR)/echarts $(VENDOR)/bootstrap-icons
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map $(VENDOR)/bootstrap/
	cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map $(VENDOR)/bootstrap/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts/
	cp -r node_modules/bootstrap-icons/font/bootstrap-icons.min.css node_modules/bootstrap-icons/font/fonts $(VENDOR)/bootstrap-icons/
	@touch $@

assets: $(VENDOR)/.copied ## Install Bootstrap, htmx, ECharts and icons from the npm registry (pinned) into static/vendor

.env:
	@$(PY) scripts/make_env.py > .env
	@echo "Wrote .env for the embedded default (SQLite, http://$(HOST):$(PORT))."

setup: install assets .env ## Install, migrate, collect static files, load regions and demo data (idempotent)
	@bash scripts/system_packages.sh
	$(MANAGE) migrate --no-input -v 0
	$(MANAGE) compilemessages -v 0 --ignore=.venv --ignore=node_modules
	$(MANAGE) collectstatic --no-input -v 0
	$(MANAGE) load_regions regions/data/china-counties-2024.csv --release "国家统计局 2024"
	$(MANAGE) load_regions regions/data/hanjiang-350303-villages-2020.csv --release "国家统计局 2020"
	$(MANAGE) load_demo
	$(MANAGE) load_demo_children

run: setup ## Set up, then serve on http://127.0.0.1:8000 with the background worker (Ctrl-C stops both)
	@HOST=$(HOST) PORT=$(PORT) bash scripts/run.sh

test: install-dev assets ## Install what the tests need and run every test (SQLite, then PostgreSQL when available)
	@bash scripts/test.sh

$(VENV)/.installed-bench: requirements/bench.txt $(VENV)/.installed-dev
	$(PIP) install --quiet --disable-pip-version-check -r requirements/bench.txt
	@touch $@

bench-exchange: $(VENV)/.installed-bench assets ## Benchmark imports and matching (SQLite, PostgreSQL, COPY, django-import-export, splink)
	@bash scripts/bench_exchange.sh

bench-registry: install-dev assets ## Benchmark the registry with 100,000 children on SQLite and PostgreSQL
	@bash scripts/bench_registry.sh

lint: install-dev ## ruff (lint and format check) and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

messages: install-dev ## Extract English msgids into locale/zh_Hans and compile
	DJANGO_SETTINGS_MODULE=config.settings_test $(MANAGE) makemessages -l zh_Hans --ignore=.venv --ignore=node_modules --ignore=var --no-obsolete
	DJANGO_SETTINGS_MODULE=config.settings_test $(MANAGE) compilemessages --ignore=.venv --ignore=node_modules

lock: ## Re-resolve requirements/*.in into the pinned requirements/*.txt
	$(PYTHON) -m venv /tmp/shouhu-lock && /tmp/shouhu-lock/bin/pip install --quiet uv
	cd requirements && /tmp/shouhu-lock/bin/uv pip compile --python-version 3.11 base.in -o base.txt && /tmp/shouhu-lock/bin/uv pip compile --python-version 3.11 dev.in -o dev.txt && /tmp/shouhu-lock/bin/uv pip compile --python-version 3.11 bench.in -o bench.txt

clean: ## Remove the virtual environment, front-end packages and local data (var/, .env)
	rm -rf $(VENV) node_modules $(VENDOR) var .env
