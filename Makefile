# The two commands a newcomer needs: `make run` (embedded platform) and `make test` (everything).
# Both install what they need into .venv first; `make test` also starts a local Kafka broker and
# PostgreSQL server when no Docker engine or SRDI_* endpoints are available (see tests/infra.py).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install run test lint typecheck unit integration e2e bench chaos infra-up infra-down clean

$(INSTALLED): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

run: install
	$(BIN)/srdi run

test: lint typecheck unit integration e2e

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy shared services tests bench

unit: install
	$(BIN)/pytest tests/unit -q

integration: install
	$(BIN)/pytest tests/integration -q

e2e: install
	$(BIN)/pytest tests/e2e -q

bench: install
	$(BIN)/python -m bench.eligibility_reassess
	$(BIN)/python -m bench.registry_import
	$(BIN)/python -m bench.finance_match
	$(BIN)/python -m bench.notifications_chain

infra-up: install
	deploy/local/kafka.sh start
	deploy/local/postgres.sh start

infra-down:
	-deploy/local/kafka.sh stop
	-deploy/local/postgres.sh stop

clean: infra-down
	rm -rf var .pytest_cache .mypy_cache .ruff_cache

# Reliability under faults (tests/faults): its own Kafka (29092) and PostgreSQL (25432) under var/faults,
# every fault kind once mid-stream, then the table of accepted / applied / lost / doubled per effect.
# SRDI_FAULT_WRITES = writes per fault kind (10,000 here; the suite's default short form is 300).
CHAOS_WRITES ?= 10000
chaos: install
	SRDI_FAULT_WRITES=$(CHAOS_WRITES) $(BIN)/pytest tests/faults -q -p no:cacheprovider -rA
