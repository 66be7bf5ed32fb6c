# knooppunt: make help lists the targets. These matter most:
#   make demo         the whole system locally (broker, five services, partner adapters) with a demo
#   make test         every test against a real Kafka broker (CI runs it first)
#   make test-faults  crashes, pauses and a broker restart under load (CI runs it second)

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_BIN ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha256sum | cut -c1-12)
RUN ?= $(CURDIR)/.run
KAFKA_PORT ?= 9092
KAFKA_CONTROLLER_PORT ?= 9093
export KAFKA_BOOTSTRAP_SERVERS ?= 127.0.0.1:$(KAFKA_PORT)
# make test runs its own broker on other ports and in its own run dir, so that it neither
# disturbs nor depends on a running demo.
TEST_RUN := $(RUN)/test
TEST_KAFKA_PORT ?= 19092
TEST_KAFKA_CONTROLLER_PORT ?= 19093
PYTEST_ARGS ?=


.PHONY: certs bench test-faults
.PHONY: help install proto lint broker-up broker-down topics up demo down status logs test-broker-up test-broker-down \
        test test-unit test-integration test-e2e grpcurl clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON_BIN) >/dev/null || { echo "Python 3.11 is required ($(PYTHON_BIN) not found)"; exit 1; }
	@# Incremental: an existing .venv is updated in place, never deleted under running processes.
	[ -x $(PY) ] || $(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check pip==25.3
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[dev]"
	$(PY) scripts/gen_protos.py
	@# Again, so that the editable install also maps the generated packages in gen/.
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# The Strimzi CRD schema check runs on node; its packages are pinned by package-lock.json.
SCHEMA_CHECK := deploy/k8s/schema-check
NODE_STAMP := $(SCHEMA_CHECK)/node_modules/.installed

$(NODE_STAMP): $(SCHEMA_CHECK)/package-lock.json
	@command -v npm >/dev/null || { echo "node and npm are required (the Strimzi CRD schema check in $(SCHEMA_CHECK))"; exit 1; }
	cd $(SCHEMA_CHECK) && npm ci --silent --no-audit --no-fund
	touch $@

install: $(STAMP) $(NODE_STAMP) ## Create .venv with every pinned dependency (and the pinned node packages of the schema check)

proto: $(STAMP) ## Generate Python code and .pyi stubs from protos/ into gen/
	$(PY) scripts/gen_protos.py

lint: $(STAMP) ## buf lint on the contracts
	$(VENV)/bin/buf lint

broker-up: ## Fetch (once) and start the local Kafka broker
	KNOOPPUNT_RUN=$(RUN) KAFKA_PORT=$(KAFKA_PORT) KAFKA_CONTROLLER_PORT=$(KAFKA_CONTROLLER_PORT) PYTHON=$(PY) bash deploy/kafka/kafka.sh start

broker-down: ## Stop the local Kafka broker
	KNOOPPUNT_RUN=$(RUN) bash deploy/kafka/kafka.sh stop

topics: $(STAMP) ## Create the declared topics (idempotent)
	$(PY) -m topic_catalog.ensure

certs: $(STAMP) ## Generate the development CA and certificates into .run/certs (make up does this once)
	$(PY) -m grpc_security.devca --out $(RUN)/certs

up: proto broker-up ## Start broker and every service (mTLS); returns when all are SERVING
	KNOOPPUNT_RUN=$(RUN) $(PY) deploy/local/stack.py up

demo: up ## The main job: start everything and run the demo; leaves the system running
	KNOOPPUNT_RUN=$(RUN) AUDIT_PUBLIC_KEY=$(RUN)/audit/audit.pub $(PY) deploy/demo/demo.py

down: ## Stop every service and the broker
	-@[ -x $(PY) ] && KNOOPPUNT_RUN=$(RUN) $(PY) deploy/local/stack.py down
	KNOOPPUNT_RUN=$(RUN) bash deploy/kafka/kafka.sh stop

status: ## Each process, each service's health, each consumer group's lag, and the broker
	-@KNOOPPUNT_RUN=$(RUN) $(PY) deploy/local/stack.py status
	-@KNOOPPUNT_RUN=$(RUN) bash deploy/kafka/kafka.sh status

logs: ## Follow every service log
	tail -n 20 -F $(RUN)/logs/*.log

test: proto $(NODE_STAMP) ## Every test (unit, integration, e2e) on a fresh real broker; CI runs it, then test-faults
	@set -euo pipefail; \
	broker() { KNOOPPUNT_RUN=$(TEST_RUN) KAFKA_PORT=$(TEST_KAFKA_PORT) KAFKA_CONTROLLER_PORT=$(TEST_KAFKA_CONTROLLER_PORT) PYTHON=$(PY) bash deploy/kafka/kafka.sh "$$@"; }; \
	broker clean >/dev/null; \
	trap 'broker stop' EXIT; \
	broker start; \
	$(VENV)/bin/buf lint; \
	KNOOPPUNT_TEST_RUN=$(TEST_RUN) KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$(TEST_KAFKA_PORT) \
	  $(PY) -m pytest tests/unit tests/integration tests/e2e -ra -p no:cacheprovider $(PYTEST_ARGS)

test-unit: proto $(NODE_STAMP) ## Unit and contract tests only (no broker)
	$(PY) -m pytest tests/unit -q -p no:cacheprovider $(PYTEST_ARGS)

test-integration: ## Integration tests (broker must run: make test-broker-up)
	KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$(TEST_KAFKA_PORT) KNOOPPUNT_TEST_RUN=$(TEST_RUN) $(PY) -m pytest tests/integration -q $(PYTEST_ARGS)

test-e2e: ## End-to-end tests (broker must run: make test-broker-up)
	KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$(TEST_KAFKA_PORT) KNOOPPUNT_TEST_RUN=$(TEST_RUN) $(PY) -m pytest tests/e2e -q $(PYTEST_ARGS)

test-broker-up: ## Start the test broker (ports 19092/19093) for test-integration/test-e2e
	KNOOPPUNT_RUN=$(TEST_RUN) KAFKA_PORT=$(TEST_KAFKA_PORT) KAFKA_CONTROLLER_PORT=$(TEST_KAFKA_CONTROLLER_PORT) PYTHON=$(PY) bash deploy/kafka/kafka.sh start

test-broker-down: ## Stop the test broker
	KNOOPPUNT_RUN=$(TEST_RUN) bash deploy/kafka/kafka.sh stop

bench: proto ## Benchmarks against same-run baselines on an own broker and stack; PROFILE=quick|full
	$(PY) -m bench.run --profile $(or $(PROFILE),quick)

test-faults: proto ## Fault tests (CI runs them after make test): SIGKILL/SIGSTOP of each service, kill -9 of the broker, 1 and 2 instances, under load (own broker)
	KNOOPPUNT_FAULT_RESULTS=$${KNOOPPUNT_FAULT_RESULTS:-$(RUN)/faults} \
	  $(PY) -m pytest tests/faults -m faults -ra -p no:cacheprovider $(PYTEST_ARGS)

grpcurl: ## Install grpcurl (a generic gRPC client) into .venv/bin with Go
	GOBIN=$(CURDIR)/$(VENV)/bin go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.3

clean: down ## Stop everything and delete run data, generated code and .venv
	rm -rf $(RUN) gen $(VENV) $(SCHEMA_CHECK)/node_modules
