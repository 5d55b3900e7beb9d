# Every target bootstraps .venv itself, so a fresh clone needs only Python 3.11 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app app

.PHONY: run test demo lint format bench serve clean translations i18n-extract

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	touch $(STAMP)

venv: $(STAMP)

translations: $(STAMP)
	$(BIN)/pybabel -q compile -d translations

# After adding or changing user-visible strings: extract, merge into the catalogues, then
# translate the new entries in translations/vi/LC_MESSAGES/messages.po (a test checks).
i18n-extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --omit-header --sort-output -o translations/messages.pot . >/dev/null
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --omit-header

run: $(STAMP) translations
	$(FLASK) db-upgrade
	$(FLASK) ensure-admin
	$(FLASK) files sweep >/dev/null
	$(FLASK) run --host 127.0.0.1 --port 5000

demo: $(STAMP) translations
	$(FLASK) db-upgrade
	$(FLASK) ensure-admin
	$(FLASK) demo load

# Several gunicorn workers on PostgreSQL with RQ workers over Redis, on http://127.0.0.1:8000
# (DATABASE_URL and REDIS_URL default to the local servers; see docs/deploy.md).
serve: $(STAMP) translations
	$(BIN)/python -m contest.serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: $(STAMP) translations lint
	$(BIN)/python -m pytest -n 2 -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
