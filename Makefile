# The two commands: `make demo` runs the app with demo data; `make test` runs lint and the tests.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8050
export PORT

.PHONY: demo test lint services clean

$(VENV)/.deps: requirements.txt
	./deploy/ensure-system.sh
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-deps: $(VENV)/.deps requirements-dev.txt
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

demo: $(VENV)/.deps
	./deploy/demo.sh

services:
	./deploy/ensure-services.sh

lint: $(VENV)/.dev-deps
	$(BIN)/ruff check .

test: $(VENV)/.dev-deps services lint
	TEST_DATABASE=sqlite $(BIN)/pytest --headless
	TEST_DATABASE=postgresql $(BIN)/pytest --headless

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
