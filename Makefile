# The way in. `make run` and `make test` each create the environment when it is missing.
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
GJJ := $(VENV)/bin/gjj
SCALE ?= 0.05

.PHONY: run up test lint bench bench-ingest docs clean superset-env superset chromium
LAKEHOUSE := $(abspath $(or $(GJJ_LAKEHOUSE_ROOT),lakehouse))
export GJJ_LAKEHOUSE_ROOT := $(LAKEHOUSE)
export DAGSTER_HOME := $(LAKEHOUSE)/dagster

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python python3.11
	touch $@

# Apache Superset (big screens) in its own environment: its pins conflict with the platform's, so it is
# installed with the upstream release's pins as constraints (dashboards/superset-constraints.txt).
SUPERSET_VERSION := 6.1.0
SUPERSET_VENV := $(TOOLS)/superset
SUPERSET_PORT ?= 8088

$(SUPERSET_VENV)/.installed: dashboards/superset-constraints.txt | $(UV)
	rm -rf $(SUPERSET_VENV)
	$(UV) venv --quiet --python python3.11 $(SUPERSET_VENV)
	$(UV) pip install --quiet --python $(SUPERSET_VENV)/bin/python -c dashboards/superset-constraints.txt \
		apache-superset==$(SUPERSET_VERSION) duckdb duckdb-engine
	touch $@

superset-env: $(SUPERSET_VENV)/.installed

# Debian's Chromium (never a downloaded browser) and CJK fonts, for the dashboard screenshots.
chromium:
	@test -x /usr/bin/chromium && fc-list :lang=zh | grep -q . || { \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk; }

# Superset on http://127.0.0.1:$(SUPERSET_PORT), offline, over the current published snapshot
# (metadata, secret key and admin password under $(LAKEHOUSE)/superset/; Ctrl-C stops it).
superset: $(VENV)/.synced superset-env
	GJJ_SUPERSET_PORT=$(SUPERSET_PORT) $(GJJ) dashboards serve --deploy

# The pseudonym key (GJJ_MASKING_KEY, issue #5): taken from the environment when set; otherwise a random key kept
# beside the lakehouse (mode 600, never in the repository) so that a local `make run` writes the masked analyst
# edition — without one, Superset and notebooks refuse to open the snapshot.
MASKING_KEY_FILE := $(LAKEHOUSE)/secrets/masking.key
WITH_KEY = GJJ_MASKING_KEY="$${GJJ_MASKING_KEY:-$$(cat $(MASKING_KEY_FILE))}"

$(MASKING_KEY_FILE):
	mkdir -p $(dir $@) && umask 077 && python3 -c 'import secrets; print(secrets.token_hex(32))' > $@

run: $(VENV)/.synced $(MASKING_KEY_FILE)
	$(GJJ) generate --scale $(SCALE)
	$(WITH_KEY) $(GJJ) pipeline run

# Dagster UI and the serving API on localhost (Ctrl-C stops both)
up: $(VENV)/.synced $(MASKING_KEY_FILE)
	$(GJJ) pipeline prepare
	@echo "Dagster UI: http://127.0.0.1:3000    API docs: http://127.0.0.1:8000/docs"
	trap 'kill 0' INT TERM; export $(WITH_KEY); \
	$(VENV)/bin/uvicorn serving.app:app --host 127.0.0.1 --port 8000 & \
	$(VENV)/bin/dagster dev -m orchestration.definitions -h 127.0.0.1 -p 3000; \
	wait

lint: $(VENV)/.synced
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: lint superset-env chromium
	$(VENV)/bin/pytest -q

bench: $(VENV)/.synced $(MASKING_KEY_FILE)
	$(WITH_KEY) $(GJJ) bench pipeline --scale 1.0

bench-ingest: $(VENV)/.synced
	$(GJJ) bench ingest --scale 1.0

# dbt docs (lineage, descriptions) and the data-standard / catalog check (issue #4)
docs: $(VENV)/.synced
	cd dbt_project && ../$(VENV)/bin/dbt docs generate --project-dir . --profiles-dir .
	$(GJJ) quality standards

clean:
	rm -rf lakehouse $(VENV) $(TOOLS)
