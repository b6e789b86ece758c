# Two commands matter: `make run` (portal with a demo, embedded mode) and `make test`.
# `make run MOMENT=jury|deliberation|palmares` loads the demo at another step of the label
# (on an empty database; default: applications open).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1:8000
# Debian packages: WeasyPrint (pango, harfbuzz, fonts), PDF checks (poppler-utils), browser tests (chromium).
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
# postgresql-client: pg_dump and pg_restore for the backup tests in full mode; a Java runtime for
# the HTML validator (vnu, tests/test_html_valide.py).
TEST_SYSTEM_PACKAGES := $(SYSTEM_PACKAGES) poppler-utils chromium postgresql-client default-jre-headless
# Backups (docs/deployment.md): `make sauvegarde [SAUVEGARDES=dossier] [GARDER=7]`,
# `make restauration DOSSIER=sauvegardes/2026-12-06T031502Z [ECRASER=1]`.
GARDER ?= 7

.PHONY: run setup test lint fmt system-packages test-system-packages messages clean sauvegarde restauration

run: setup
	$(PY) manage.py runserver $(HOST)

setup: $(VENV)/.installed system-packages
	$(PY) manage.py migrate --noinput
	$(PY) manage.py import_territoires
	$(PY) manage.py import_taxonomie
	$(PY) manage.py demo --if-empty $(if $(MOMENT),--moment $(MOMENT))

test: $(VENV)/.installed-dev test-system-packages
	$(PY) -m pytest $(PYTEST_ARGS)

sauvegarde: $(VENV)/.installed
	$(PY) manage.py sauvegarder --garder $(GARDER) $(if $(SAUVEGARDES),--dossier $(SAUVEGARDES))

restauration: $(VENV)/.installed
	@test -n "$(DOSSIER)" || { echo "Indiquez la sauvegarde : make restauration DOSSIER=sauvegardes/2026-…Z" >&2; exit 2; }
	$(PY) manage.py restaurer $(DOSSIER) $(if $(ECRASER),--ecraser)

lint: $(VENV)/.installed-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m djlint templates --lint
	$(PY) -m djlint templates --check

fmt: $(VENV)/.installed-dev
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .
	$(PY) -m djlint templates --reformat --quiet || true

messages: $(VENV)/.installed-dev
	$(PY) manage.py makemessages --locale en --ignore '.venv/*' --ignore 'tests/*'
	$(PY) scripts/reprendre_traductions.py locale/en/LC_MESSAGES/django.po
	$(PY) manage.py compilemessages --locale en --ignore '.venv/*'

$(VENV)/bin/pip:
	@$(PYTHON) -c "import ensurepip" 2>/dev/null || sh scripts/system-packages.sh python3-venv
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements/base.txt | $(VENV)/bin/pip
	$(PY) -m pip install --quiet -r requirements/base.txt
	touch $@

$(VENV)/.installed-dev: requirements/base.txt requirements/dev.txt | $(VENV)/bin/pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	touch $(VENV)/.installed $@

system-packages:
	@sh scripts/system-packages.sh $(SYSTEM_PACKAGES)

test-system-packages:
	@sh scripts/system-packages.sh $(TEST_SYSTEM_PACKAGES)

clean:
	rm -rf $(VENV) staticfiles var db.sqlite3 db.sqlite3-wal db.sqlite3-shm
