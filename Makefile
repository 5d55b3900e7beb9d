# Every target bootstraps .venv itself, so a fresh clone needs only Python 3.11 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app app

.PHONY: run test demo lint format bench serve clean translations

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	touch $(STAMP)

venv: $(STAMP)

translations: $(STAMP)
	$(BIN)/pybabel compile -q -d translations

run: $(STAMP) translations
	$(FLASK) db-upgrade
	$(FLASK) ensure-admin
	$(FLASK) run --host 127.0.0.1 --port 5000

demo: $(STAMP) translations
	$(FLASK) db-upgrade
	$(FLASK) ensure-admin
	$(FLASK) demo load

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: $(STAMP) translations lint
	$(BIN)/python -m pytest -n 2

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
