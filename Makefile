# The two commands a newcomer needs: `make run` (embedded platform) and `make test` (everything).
# Both install what they need into .venv first; `make test` also starts a local Kafka broker and
# PostgreSQL server when no Docker engine or SRDI_* endpoints are available (see tests/infra.py).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# Browser assets from the npm registry, pinned, served by the gateway (no CDN at run time; gitignored).
VENDOR := services/gateway/static/vendor
ECHARTS_VERSION := 5.6.0
REDOC_VERSION := 2.5.0
# Swagger UI 5 (renders OpenAPI 3.1; the swagger-ui-bundle wheel's 4.15 cannot).
SWAGGER_UI_VERSION := 5.35.0
SWAGGER_UI := $(VENDOR)/swagger-ui-$(SWAGGER_UI_VERSION)
ASSETS := $(VENDOR)/echarts-$(ECHARTS_VERSION).min.js $(VENDOR)/redoc-$(REDOC_VERSION).standalone.js \
	$(SWAGGER_UI)/swagger-ui-bundle.js $(SWAGGER_UI)/swagger-ui.css $(SWAGGER_UI)/oauth2-redirect.html \
	$(SWAGGER_UI)/favicon-32x32.png

.PHONY: install assets run test lint typecheck unit integration e2e faults bench chaos infra-up infra-down clean

$(INSTALLED): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED) assets

assets: $(ASSETS)

$(VENDOR)/echarts-$(ECHARTS_VERSION).min.js:
	deploy/local/npm-asset.sh echarts $(ECHARTS_VERSION) dist/echarts.min.js $@

$(VENDOR)/redoc-$(REDOC_VERSION).standalone.js:
	deploy/local/npm-asset.sh redoc $(REDOC_VERSION) bundles/redoc.standalone.js $@.part
	# its sidebar logo is an <img> on cdn.redoc.ly: point it at nothing (the logo hides itself on error)
	sed 's#https://cdn.redoc.ly/redoc/logo-mini.svg#data:,#g' $@.part > $@ && rm $@.part

$(SWAGGER_UI)/%:
	deploy/local/npm-asset.sh swagger-ui-dist $(SWAGGER_UI_VERSION) $* $@

run: install
	$(BIN)/srdi run

test: lint typecheck unit integration e2e faults

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy shared services tests bench

# pytest-xdist workers, one per core: a unit test goes to whichever worker is free; an integration
# test file stays on one worker, so that a module's fixture (the benchmarks' tiny runs) runs once.
# (The end-to-end and fault suites start processes and servers of their own: they run alone.)
PYTEST_WORKERS ?= auto
unit: install
	$(BIN)/pytest tests/unit -q -n $(PYTEST_WORKERS) --dist worksteal

integration: install
	$(BIN)/pytest tests/integration -q -n $(PYTEST_WORKERS) --dist loadfile

e2e: install
	$(BIN)/pytest tests/e2e -q

# Every benchmark beside its anchor, then bench/results/latest.{json,md} (see bench/__main__.py).
bench: install
	$(BIN)/python -m bench

infra-up: install
	deploy/local/kafka.sh start
	deploy/local/postgres.sh start

infra-down:
	-deploy/local/kafka.sh stop
	-deploy/local/postgres.sh stop

clean: infra-down
	rm -rf var .pytest_cache .mypy_cache .ruff_cache

# Reliability under faults (tests/faults): its own 3-broker Kafka cluster (29192/29194/29196) and
# PostgreSQL (25432) under var/faults, every fault kind once mid-stream, then the table of accepted /
# applied / lost / doubled per effect and the recovery times. SRDI_FAULT_WRITES = writes per fault kind.
# `faults` is the short form `make test` runs: every fault kind once, overlapping in one stream
# (all-at-once); `chaos` the full form: each kind on its own stream (10,000 writes per kind), then all-at-once.
FAULT_WRITES ?= 200
FAULT_RATE ?= 200
faults: install
	SRDI_FAULT_WRITES=$(FAULT_WRITES) SRDI_FAULT_RATE=$(FAULT_RATE) $(BIN)/pytest -q -p no:cacheprovider \
		'tests/faults/test_faults.py::test_nothing_accepted_is_lost_or_doubled_under[all-at-once]'

CHAOS_WRITES ?= 10000
chaos: install
	SRDI_FAULT_WRITES=$(CHAOS_WRITES) $(BIN)/pytest tests/faults -q -p no:cacheprovider -rA
