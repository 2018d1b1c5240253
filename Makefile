# Two commands do everything on a fresh machine with Python 3.11:
#   make run    create .venv if missing, then run the main job
#   make test   create .venv if missing, then run the test suite
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PROFILE ?= quick

.PHONY: run test demo bench clean-outputs

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

bench: $(BIN)/ganlib
	$(BIN)/python benchmarks/step_time.py
