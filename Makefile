# Two commands: `make demo` and `make test`. Both build .venv from nothing if it is missing.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
MODEL  := .cache/models/SmolLM2-135M-Instruct.Q4_1.gguf

export QT_QPA_PLATFORM ?= offscreen
export APPLIANCE_CACHE_DIR ?= $(CURDIR)/.cache

.PHONY: demo demo-quick test lint venv model screenshots clean

venv: $(STAMP)

# torch first, pinned: an unpinned torch may pull a multi-GB CUDA build on CPU-only machines.
$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

model: $(MODEL)

$(MODEL): models_manifest.toml packaging/fetch_model.py
	$(PY) packaging/fetch_model.py --id smollm2-135m-instruct --dest .cache/models
	touch $(MODEL)

demo: $(STAMP) $(MODEL)
	$(VENV)/bin/appliance demo $(DEMO_ARGS)

demo-quick: $(STAMP) $(MODEL)
	$(VENV)/bin/appliance demo --quick $(DEMO_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check appliance tests packaging installer gui
	$(VENV)/bin/mypy appliance gui installer packaging

test: $(STAMP) $(MODEL) lint
	$(PY) -m pytest -q $(PYTEST_ARGS)

screenshots: $(STAMP) $(MODEL)
	$(PY) -m gui.screenshots

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
