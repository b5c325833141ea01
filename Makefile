# sourcechat: `make run` to chat with the articles in seeds/, `make test` to run the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The app listens where RAG_HOST / RAG_PORT say (environment or .env; default 127.0.0.1:7860).
# `make run PORT=8000 HOST=0.0.0.0` overrides them; a PORT or HOST in the environment does not,
# so an unrelated PORT variable (set by many hosting platforms) never moves the app.
SERVE_ENV = $(if $(filter command line,$(origin HOST)),RAG_HOST=$(HOST)) $(if $(filter command line,$(origin PORT)),RAG_PORT=$(PORT))

.PHONY: run test test-slow eval bench install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Reinstall only when the project's dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[eval,dev,openai-embeddings]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/rag ingest
	$(SERVE_ENV) $(BIN)/python app.py

# Everything but the long eval profiles (marked eval and slow): those run in `make test-slow`,
# which CI runs as a second step (.ci/run), so every gate is checked on every submission.
test: install-dev
	$(BIN)/cog --check README.md
	$(BIN)/python -m pytest -q -m "not (eval and slow)"

test-slow: install-dev
	$(BIN)/python -m pytest -q -m "eval and slow"

eval: install-dev
	$(BIN)/rag eval
	$(BIN)/rag eval --dataset bbc-rtqa --distractors 300

bench: install-dev
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/retrieval.py
	$(BIN)/python bench/latency.py
	$(BIN)/python bench/language.py

clean:
	rm -rf .rag
