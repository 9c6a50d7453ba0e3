# The way in. `make run` and `make test` each create the environment when it is missing.
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
GJJ := $(VENV)/bin/gjj
SCALE ?= 0.05

.PHONY: run up test lint bench bench-ingest docs clean
LAKEHOUSE := $(abspath $(or $(GJJ_LAKEHOUSE_ROOT),lakehouse))
export GJJ_LAKEHOUSE_ROOT := $(LAKEHOUSE)
export DAGSTER_HOME := $(LAKEHOUSE)/dagster

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python python3.11
	touch $@

run: $(VENV)/.synced
	$(GJJ) generate --scale $(SCALE)
	$(GJJ) pipeline run

# Dagster UI and the serving API on localhost (Ctrl-C stops both)
up: $(VENV)/.synced
	$(GJJ) pipeline prepare
	@echo "Dagster UI: http://127.0.0.1:3000    API docs: http://127.0.0.1:8000/docs"
	trap 'kill 0' INT TERM; \
	$(VENV)/bin/uvicorn serving.app:app --host 127.0.0.1 --port 8000 & \
	$(VENV)/bin/dagster dev -m orchestration.definitions -h 127.0.0.1 -p 3000; \
	wait

lint: $(VENV)/.synced
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: lint
	$(VENV)/bin/pytest -q

bench: $(VENV)/.synced
	$(GJJ) bench pipeline --scale 1.0

bench-ingest: $(VENV)/.synced
	$(GJJ) bench ingest --scale 1.0

# dbt docs (lineage, descriptions) and the data-standard / catalog check (issue #4)
docs: $(VENV)/.synced
	cd dbt_project && ../$(VENV)/bin/dbt docs generate --project-dir . --profiles-dir .
	$(GJJ) quality standards

clean:
	rm -rf lakehouse $(VENV) $(TOOLS)
