# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-fast lint bench fuzz clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "derive needs Python >= 3.11")'
	./scripts/system-packages.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: install
	$(BIN)/derive solve
	$(BIN)/derive sheet --lang en,ko

# every core (pytest-xdist): about 4 minutes on two
test: install
	$(BIN)/python -m pytest -n auto --dist worksteal

# the edit loop: everything but the modules marked slow, under a minute on two cores
test-fast: install
	$(BIN)/python -m pytest -n auto --dist worksteal -m "not slow"

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: install
	$(BIN)/python benchmarks/engine.py
	$(BIN)/python benchmarks/sheet.py
	$(BIN)/python benchmarks/exercises.py

fuzz: install
	$(BIN)/python benchmarks/fuzz.py

clean:
	rm -rf $(VENV) output
