# vireid: every target does its own set-up on a fresh machine.
#   make lint   ruff (pycodestyle + pyflakes rules, pyproject.toml)
#   make test   create .venv if missing, install vireid + test deps, lint, run pytest
#   make demo   the main job: synthetic data -> train -> evaluate -> metrics + pictures
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
CONSTRAINTS := requirements/constraints.txt
STAMP  := $(VENV)/.vireid-installed
PYTEST_ARGS ?=
DEMO_CONFIG ?=

.PHONY: setup lint test demo clean help

help:
	@echo "make lint   - set up .venv and run ruff"
	@echo "make test   - set up .venv, lint, run the test suite"
	@echo "make demo   - set up .venv, generate synthetic data, train + evaluate the demo"

$(STAMP): setup.py $(CONSTRAINTS) requirements/runtime.txt requirements/tests.txt requirements/onnx.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -c $(CONSTRAINTS) -e ".[tests]"
	touch $(STAMP)

setup: $(STAMP)

lint: setup
	$(PY) -m ruff check .

test: lint
	$(PY) -m pytest -q $(PYTEST_ARGS)

demo: setup
	$(PY) tools/demo.py $(if $(DEMO_CONFIG),--config $(DEMO_CONFIG))

clean:
	rm -rf work_dirs build *.egg-info plugins/*.egg-info
