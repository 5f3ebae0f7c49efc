# Two commands on a fresh machine: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv/bin
PYTEST_ARGS ?=

.PHONY: help install run webhook lint format test test-unit test-integration test-e2e test-faults test-security schemas bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

install: ## install uv + the locked Python workspace, Kafka jars, PostgreSQL, FerretDB, Jaeger, Prometheus, kustomize and kubeconform into .local/ (pinned; reused when present)
	@bash deploy/local/install.sh

run: install ## start PostgreSQL, FerretDB, Kafka, Jaeger and the services on 127.0.0.1 (Ctrl-C stops everything; STORE=sqlite for FerretDB on SQLite)
	@$(VENV)/trygg run $(if $(STORE),--store $(STORE))

webhook: ## send a correctly signed sample hospital message to the running referral service
	@$(VENV)/trygg webhook $(ARGS)

lint: install ## ruff (lint + format check), mypy and the import-linter contracts of every service (one template: tools/importlinter)
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/mypy
	$(VENV)/python -m devstack.importcontracts

format: install ## apply ruff's formatting and safe fixes
	$(VENV)/ruff format .
	$(VENV)/ruff check --fix .

test: install lint ## lint, then unit, contract, integration, e2e tests and the fault suite's short form on throwaway real servers
	$(VENV)/pytest $(PYTEST_ARGS)

test-faults: install ## the whole fault suite (crashes, outages, replays, poison) with its ledger table
	TRYGG_FAULTS=full $(VENV)/pytest -m faults tests/faults $(PYTEST_ARGS)

test-unit: install ## unit and contract tests only (no servers)
	$(VENV)/pytest -m "unit or contract" $(PYTEST_ARGS)

test-integration: install ## integration and e2e tests only
	$(VENV)/pytest -m "integration or e2e" $(PYTEST_ARGS)

test-security: install ## the security suite only: role matrix from the OpenAPI, limits, webhook checks, audit, personal-data scan
	$(VENV)/pytest -m security -p no:cacheprovider $(PYTEST_ARGS)

schemas: install ## rewrite the event JSON Schema snapshots after an intended contract change
	$(VENV)/python -m trygg_shared.contracts.snapshots --write

# Every #21 bench that is in the tree, in this order: <name>:<script under bench/>.
BENCHES := intake:intake/run.py overload:intake/overload.py notification:notification/run.py journey:journey/run.py scaleout:scaleout/run.py idle:idle/run.py
BENCH_TIMEOUT ?= 900

bench: install ## every benchmark (about 20 min; each stopped after BENCH_TIMEOUT s), figures into a fresh .local/bench/<UTC time>/ (or BENCH_DIR), then ONE table of every #21 target (bench/summary.py)
	@dir="$${BENCH_DIR:-.local/bench/$$(date -u +%Y%m%dT%H%M%SZ)}"; mkdir -p "$$dir"; \
	for spec in $(BENCHES); do \
	  name="$${spec%%:*}"; script="bench/$${spec#*:}"; \
	  if [ -f "$$script" ]; then \
	    echo "=== $$script (figures: $$dir/$$name.json)"; \
	    BENCH_TIMEOUT=$(BENCH_TIMEOUT) timeout --kill-after=60 $(BENCH_TIMEOUT) $(VENV)/python "$$script" --json "$$dir/$$name.json"; \
	    echo $$? > "$$dir/$$name.rc"; \
	  else \
	    echo "=== $$script: not in this tree (not run)"; \
	  fi; \
	done; \
	$(VENV)/python bench/scheduling/run.py; \
	$(VENV)/python bench/summary.py "$$dir"

clean: ## remove caches and local run data, PostgreSQL's included (keeps installed servers)
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis .local/run
