# The way in. `make run` and `make test` each create the environment when it is missing.
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
GJJ := $(VENV)/bin/gjj
SCALE ?= 0.05

.PHONY: run test lint bench-ingest clean

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python python3.11
	touch $@

run: $(VENV)/.synced
	$(GJJ) generate --scale $(SCALE)
	$(GJJ) ingest

lint: $(VENV)/.synced
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: lint
	$(VENV)/bin/pytest -q

bench-ingest: $(VENV)/.synced
	$(GJJ) bench ingest --scale 1.0

clean:
	rm -rf lakehouse $(VENV) $(TOOLS)
