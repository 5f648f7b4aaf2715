# Two commands: `make site` builds the site, `make test` runs every test.
# Both create .venv with python3 and install what they need on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
NODE_STAMP := node_modules/.installed

.PHONY: site test serve clean

# BASE_URL overrides site.toml's base_url, e.g. in the GitHub Pages workflow.
BASE_URL ?=

site: $(STAMP)
	$(BIN)/builder build $(if $(BASE_URL),--base-url "$(BASE_URL)")

test: $(TEST_STAMP) $(NODE_STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest

serve: $(STAMP)
	$(BIN)/builder serve

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

# The tests also need their own tools (pytest, ruff, Playwright, the benchmark's peers).
$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(TEST_STAMP)

# Test-only tools from npm (the Nu Html Checker, axe-core). Without npm the tests that
# need them skip locally; CI installs npm first (.ci/run).
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error && touch $(NODE_STAMP); \
	else echo "npm not found: HTML validation tests will be skipped"; fi

clean:
	rm -rf $(VENV) _site .cache node_modules
