# Two commands on a fresh machine: `make run` (install + start the bot) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run test check lint types catalogs install install-dev clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

catalogs: $(VENV)/.installed
	$(PY) -m bot i18n compile

run: install catalogs
	$(PY) app.py

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check bot tests app.py bench

types: install-dev
	$(VENV)/bin/mypy

check: install-dev catalogs
	$(PY) -m bot flows check

test: install-dev catalogs lint types check
	$(PY) -m pytest -n 2 --dist loadgroup

clean:
	rm -rf $(VENV) var test-artifacts
