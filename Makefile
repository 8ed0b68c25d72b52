# Two commands set everything up on a fresh machine with only Python: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project/models dbt_project/macros dbt_project/tests -type f 2>/dev/null) dbt_project/dbt_project.yml
export DAGSTER_HOME ?= $(abspath $(or $(WAREHOUSE_DATA_DIR),data))/dagster_home

.PHONY: install manifest run test test-fast ui docs bench rollback releases clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	@touch $(STAMP)

# The dbt manifest is prepared at build time, never parsed on every import of the definitions.
manifest: $(MANIFEST)

$(MANIFEST): $(STAMP) $(DBT_SOURCES)
	cd dbt_project && ../$(BIN)/dbt parse --profiles-dir . --quiet
	@touch $(MANIFEST)

run: $(MANIFEST)
	@mkdir -p "$(DAGSTER_HOME)"
	$(BIN)/python -m pipelines.cli refresh

test: $(MANIFEST)
	@mkdir -p "$(DAGSTER_HOME)"
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(MANIFEST)
	$(BIN)/python -m pytest -m "not slow and not ui" $(PYTEST_ARGS)

ui: $(MANIFEST)
	@mkdir -p "$(DAGSTER_HOME)"
	$(BIN)/python -m pipelines.cli init
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p $${PORT:-3000}

docs: $(MANIFEST)
	$(BIN)/python -m pipelines.docs

# Benchmark of issue #7 (national generated data under BENCH_DIR, default /tmp/cpw-bench; writes BENCHMARKS.md and
# benchmarks/results/latest.json). BENCH_ARGS: e.g. "--years 1 10 --runs 1" or "--quick".
bench: $(MANIFEST)
	$(BIN)/python benchmarks/bench_pipeline.py $(BENCH_ARGS)

releases: $(MANIFEST)
	$(BIN)/python -m pipelines.cli releases

rollback: $(MANIFEST)
	$(BIN)/python -m pipelines.cli rollback $(RELEASE)

clean:
	rm -rf data dbt_project/target dbt_project/logs
