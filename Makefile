# Every target installs what it needs into .venv first, so a fresh clone needs nothing but python3.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint schema schema-check sandbox worker serve bench clean browsers

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m server demo

serve: $(STAMP)
	$(BIN)/uvicorn server.app:app --host 127.0.0.1 --port $${PORT:-8000}

worker: $(STAMP)
	$(BIN)/arq workers.settings.WorkerSettings

sandbox: $(STAMP)
	$(BIN)/python -m sandboxes

# The browser test drives Debian's Chromium (the machine's package manager, so root).
browsers:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

test: $(STAMP) browsers
	$(BIN)/ruff check .
	$(BIN)/python -m server.schema_export --check
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

schema: $(STAMP)
	$(BIN)/python -m server.schema_export

schema-check: $(STAMP)
	$(BIN)/python -m server.schema_export --check

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) data .pytest_cache
