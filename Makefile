# Two commands matter (README): `make run` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PG_URL ?= postgres://postgres@127.0.0.1:5432/safercities
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: setup run serve test test-sqlite test-postgres lint check bench clean system-packages messages

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip>=24"
	$(PY) -m pip install -q -c constraints.txt -e ".[dev]"
	touch $@

## run: set up, build the demo city on SQLite and serve it at http://127.0.0.1:8000
run: setup
	DEBUG=true $(PY) manage.py migrate --no-input
	DEBUG=true $(PY) manage.py demo
	DEBUG=true $(PY) manage.py worker --once
	DEBUG=true $(PY) manage.py runserver 127.0.0.1:8000

## test: set up and run the whole suite on SQLite and then on PostgreSQL, plus the checks
test: setup system-packages check test-sqlite test-postgres

# Debian packages the tests need: chromium for the browser tests (never a downloaded browser),
# gettext for the translation checks, poppler-utils to read the PDF reports. Installed when missing;
# needs root (as in CI).
system-packages:
	@missing=""; command -v chromium >/dev/null || missing="$$missing chromium"; \
	  command -v xgettext >/dev/null || missing="$$missing gettext"; \
	  command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	  if [ -n "$$missing" ]; then echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi
	@command -v chromium >/dev/null && command -v xgettext >/dev/null && command -v pdftotext >/dev/null || \
	  { echo "chromium, gettext and poppler-utils are required for the tests" >&2; exit 1; }

test-sqlite:
	TESTING=true DATABASE_URL=sqlite:///:memory: $(PY) -m pytest -q

test-postgres:
	@$(PY) scripts/require_postgres.py "$(PG_URL)"
	TESTING=true DATABASE_URL=$(PG_URL) $(PY) -m pytest -q

check: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	TESTING=true $(PY) manage.py makemigrations --check --dry-run

lint: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: setup
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) data/*.sqlite3*

## messages: refresh the translation catalogues from the code and compile them (needs gettext).
## The ignore list must match MAKEMESSAGES_IGNORE in tests/test_translations.py (the drift check).
messages: setup
	TESTING=true $(PY) manage.py makemessages -l es --no-obsolete --ignore ".venv/*" --ignore "bench/*" \
	  --ignore "docs/*" --ignore "scripts/*" --ignore "tests/*" --ignore "data/*" --ignore "examples/*" \
	  --ignore "*.egg-info/*"
	TESTING=true $(PY) manage.py compilemessages -l es --ignore ".venv/*"
