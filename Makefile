# Two commands on a fresh machine: `make run` (install + start the bot) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run cluster test schemathesis check lint types catalogs install install-dev system-packages screenshots test-clock clean encoder-venv

# Debian packages the tests need: Chromium (browser tests), faketime (`make test-clock`),
# redis-server, wrk (the webhook benches' load generator, tests/bench).
SYSTEM_PACKAGES := chromium faketime redis-server wrk

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

# The crisis encoder's fine-tune (bench/crisis_encoder/) runs in a venv of its own: torch, CPU.
encoder-venv:
	$(PYTHON) -m venv bench/crisis_encoder/venv
	bench/crisis_encoder/venv/bin/pip install --quiet -r bench/crisis_encoder/requirements.txt
install-dev: $(VENV)/.installed-dev

catalogs: $(VENV)/.installed
	$(PY) -m bot i18n compile

run: install catalogs
	$(PY) app.py

# A local 3-primary Redis Cluster (scripts/cluster, from redis-server on PATH) and the app on
# it; the cluster stops when the app does.
cluster: install catalogs
	sh scripts/cluster start
	trap 'sh scripts/cluster stop' EXIT INT TERM; REDIS_URL=$$(sh scripts/cluster url) $(PY) app.py

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check bot tests app.py bench

types: install-dev
	$(VENV)/bin/mypy

check: install-dev catalogs
	$(PY) -m bot flows check

# Installed once, before pytest starts; no apt-get at all when they are already there.
system-packages:
	sh scripts/system-packages $(SYSTEM_PACKAGES)

test: system-packages install-dev catalogs lint types check
	$(PY) -m pytest -n 2 --dist loadgroup

# The whole suite under faketime at the hours and days where dates go wrong (see the script).
test-clock: system-packages install-dev catalogs
	sh scripts/test-clock $(PY) -n 2 --dist loadgroup

# The README's screenshots: the browser tests save them under test-artifacts/ (git-ignored);
# this copies them over docs/. `make test` never touches docs/.
screenshots: system-packages install-dev catalogs
	$(PY) -m pytest -q tests/browser/test_webchat.py::test_chat_a_few_turns_at_320_px \
		tests/browser/test_dashboard.py::test_two_organizations_see_only_their_own_families
	cp test-artifacts/webchat.png docs/webchat.png
	cp test-artifacts/dashboard-plans.png docs/dashboard.png

# Schemathesis over every operation, on loopback, against its own redis-server (needs
# `redis-server` on PATH): bounded to 25 examples per operation and 4 minutes in all.
schemathesis: install-dev catalogs
	$(PY) bench/schemathesis_run.py --max-examples 25 --max-time 240

clean:
	rm -rf $(VENV) var test-artifacts
