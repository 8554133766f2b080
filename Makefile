# Two commands on a fresh machine: `make run` (portal with demo data) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: run test test-postgres install install-test translations lint bench clean-db

run: install translations
	bash scripts/ensure-pdf-deps
	$(BIN)/flask --app app serve-demo

test: install-test translations
	bash scripts/ensure-chromium
	bash scripts/ensure-pdf-deps
	bash scripts/ensure-axe
	$(BIN)/python -m pytest -n 2 --dist loadfile

test-postgres: install-test translations
	bash scripts/ensure-pdf-deps
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
		$(BIN)/python -m pytest -n 2 --dist loadfile

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(VENV)/bin/python
	@test -f $(STAMP).run || { $(BIN)/pip install --quiet -e . && touch $(STAMP).run; }

install-test: $(VENV)/bin/python
	@test -f $(STAMP).test || { $(BIN)/pip install --quiet -e '.[test]' && touch $(STAMP).test $(STAMP).run; }

translations:
	$(BIN)/pybabel compile --domain messages -d translations --statistics 2>&1 | tail -1

messages:
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -o translations/messages.pot . --ignore-dirs='.venv migrations tests bench'
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports

clean-db:
	rm -f instance/virtual-manager.sqlite*
