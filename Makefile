# Two commands: `make site` builds the site, `make test` runs every test.
# Both create .venv with python3 and install what they need on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: site test serve clean

site: $(STAMP)
	$(BIN)/builder build

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest

serve: $(STAMP)
	$(BIN)/builder serve

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) _site .cache
