# Two commands do everything on a fresh machine with Python 3.11:
#   make run    create .venv if missing, then run the main job
#   make test   create .venv if missing, then run the test suite
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PROFILE ?= quick

.PHONY: run test test-fast nbval demo bench clean-outputs

$(BIN)/ganlib: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 or pass PYTHON=..."; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/ganlib
	$(BIN)/ganlib reproduce --profile $(PROFILE)

demo: $(BIN)/ganlib
	$(BIN)/ganlib demo

test: $(BIN)/ganlib
	$(BIN)/python -m pytest

test-fast: $(BIN)/ganlib  # everything but the smoke reproductions and the longer trainings
	$(BIN)/python -m pytest -m "not slow"

nbval: $(BIN)/ganlib  # every notebook cell by cell under nbval (the smoke profile, its default parameters)
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env notebooks

bench: $(BIN)/ganlib
	$(BIN)/python benchmarks/step_time.py
