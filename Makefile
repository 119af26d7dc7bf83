# The two entry points of the README: `make demo` and `make test`.
# Each creates the virtual environment (.venv) on first use, from the pinned lock file.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check lint typecheck unit unit-sqlite unit-postgres bench-quick system-deps clean lock wheels-windows

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/comptoir demo

# PostgreSQL server binaries for the hub tests, chromium for the browser tests and nginx for
# the reverse-proxy test (Debian); each skipped when already present.
system-deps:
	@bash scripts/ensure-postgres.sh
	@bash scripts/ensure-chromium.sh
	@bash scripts/ensure-nginx.sh

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	DJANGO_SETTINGS_MODULE=comptoir.settings $(BIN)/django-admin makemigrations --check --dry-run

typecheck: $(STAMP)
	$(BIN)/mypy comptoir bench

unit-sqlite: $(STAMP) system-deps
	$(BIN)/pytest -q -p no:cacheprovider

unit-postgres: $(STAMP) system-deps
	$(BIN)/python -m tests.pgcluster run -- $(BIN)/pytest -q

# The benchmarks' smoke run (about a minute): keeps them from rotting; prints, never asserts.
bench-quick: $(STAMP) system-deps
	$(BIN)/python -m bench --quick

# The lock file is universal (environment markers for Windows, Linux and macOS), made by uv
# from pyproject.toml; never edit it by hand. Pins already in it are kept unless upgraded.
lock: $(STAMP)
	$(BIN)/uv pip compile --universal --python-version 3.11 pyproject.toml --extra dev -o requirements.lock

# A Windows till installs from wheels only: every locked package must have one for win_amd64
# (CPython 3.11 and 3.12). Downloads from the package index; fails naming any that has none.
wheels-windows: $(STAMP)
	$(BIN)/python scripts/check_windows_wheels.py requirements.lock

test: lint typecheck wheels-windows bench-quick unit-sqlite unit-postgres

# The inner loop: lint and every test not marked slow (no multi-process scenario), on SQLite,
# two at a time. CI runs `make test`, which includes all of this.
check: lint $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider -m "not slow and not scenario" -n 2

# The English catalogue: collect the French source strings into comptoir/locale/en/.../django.po
# (new ones empty, changed ones fuzzy), compile the .mo, and count what is left to translate.
# Needs GNU gettext (Debian: gettext); the .po and .mo are committed, so running does not.
.PHONY: messages
messages: $(STAMP)
	cd comptoir && DJANGO_SETTINGS_MODULE=comptoir.settings ../$(BIN)/django-admin makemessages -l en --no-obsolete --ignore='*/migrations/*'
	cd comptoir && DJANGO_SETTINGS_MODULE=comptoir.settings ../$(BIN)/django-admin compilemessages -l en
	msgfmt --statistics -o /dev/null comptoir/locale/en/LC_MESSAGES/django.po

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
