# Carbon Stream — every entry point is a Make target (see README "Make targets").
# `make up` and `make test` install what they need (idempotently) before running.
SHELL   := /bin/bash
VENV    := .venv
PY      := $(VENV)/bin/python
STACK   := PYTHONPATH=$(CURDIR) $(PY) -m stack
PROFILE ?= dev
JOB     ?= emissions_rollup
FLINK_JARS := .jars/flink/.resolved
KAFKA_JARS := .jars/kafka/.resolved
JAVA_JAR   := .jars/java/carbon-stream-flink.jar
JAVA_SRC   := $(wildcard flink_jobs/java/src/carbonstream/*/*.java) $(wildcard flink_jobs/java/resources/META-INF/services/*)

.PHONY: help install venv jars up down clean status logs psql jobs submit cancel savepoint resume rebuild \
        test test-unit bench compose-tool compose-check

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

install: venv jars ## install Python deps (.venv) and JVM jars (.jars), idempotently

venv: $(VENV)/.installed ## project virtualenv pinned by requirements.lock
$(VENV)/.installed: requirements.in requirements.lock
	@echo "==> [install] Python virtualenv $(VENV) (pinned by requirements.lock)"
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(VENV)/bin/pip install --quiet --upgrade pip
	@$(VENV)/bin/pip install --quiet --progress-bar off -r requirements.in -c requirements.lock
	@touch $@

jars: $(FLINK_JARS) $(KAFKA_JARS) $(JAVA_JAR) ## Flink connector jars, the Kafka broker (Maven Central) and the jobs' Java code
$(FLINK_JARS): stack/jars/pom.xml
	@echo "==> [install] Flink connector jars -> .jars/flink (Maven Central)"
	@rm -rf .jars/flink && mvn -q -B -f stack/jars/pom.xml -Pflink dependency:copy-dependencies \
	    -DexcludeTransitive=true -DoutputDirectory=$(CURDIR)/.jars/flink
	@touch $@
$(JAVA_JAR): $(JAVA_SRC) $(VENV)/.installed $(FLINK_JARS)
	@echo "==> [install] the jobs' Java functions and PostgreSQL sink (flink_jobs/java) -> $(JAVA_JAR)"
	@rm -rf .jars/java && mkdir -p .jars/java/classes
	@javac --release 17 -nowarn -d .jars/java/classes \
	    -cp "$$($(PY) -c 'import os, pyflink; print(os.path.dirname(pyflink.__file__))')/lib/*:.jars/flink/*" \
	    $(filter %.java,$(JAVA_SRC))
	@jar --create --file $@ -C .jars/java/classes . -C flink_jobs/java/resources .
$(KAFKA_JARS): stack/jars/pom.xml
	@echo "==> [install] Apache Kafka broker jars -> .jars/kafka (Maven Central)"
	@rm -rf .jars/kafka && mvn -q -B -f stack/jars/pom.xml -Pkafka dependency:copy-dependencies \
	    -DincludeScope=runtime -DoutputDirectory=$(CURDIR)/.jars/kafka
	@touch $@

up: install ## start everything with demo data flowing (PostgreSQL, Kafka, Flink + jobs, APIs, producer)
	@$(STACK) --profile $(PROFILE) up

down: venv ## stop everything (data kept)
	@$(STACK) --profile $(PROFILE) down

clean: venv ## stop everything and delete local data (.stack/$(PROFILE))
	@$(STACK) --profile $(PROFILE) clean

status: venv ## each component (up/down, pid, port) and each Flink job (state, uptime, checkpoint age)
	@$(STACK) --profile $(PROFILE) status

logs: ## follow the service logs
	@tail -n 20 -F .stack/$(PROFILE)/logs/*.log .stack/$(PROFILE)/flink/log/*.log

psql: venv ## SQL shell on the aggregates (writer role)
	@psql "$$($(STACK) --profile $(PROFILE) database-url)"

jobs: venv ## list Flink jobs
	@$(STACK) --profile $(PROFILE) jobs list

submit: venv ## submit JOB (default emissions_rollup) unless it runs, restoring its newest savepoint or checkpoint
	@$(STACK) --profile $(PROFILE) jobs submit $(JOB)

cancel: venv ## cancel JOB (no savepoint)
	@$(STACK) --profile $(PROFILE) jobs cancel $(JOB)

savepoint: venv ## stop JOB with a savepoint (prints its path)
	@$(STACK) --profile $(PROFILE) jobs savepoint $(JOB)

resume: venv ## start JOB from its latest savepoint (the upgrade path after a code change)
	@$(STACK) --profile $(PROFILE) jobs resume $(JOB)

rebuild: venv ## start JOB with no state and rebuild its tables by replaying its topic (an incompatible upgrade)
	@$(STACK) --profile $(PROFILE) jobs rebuild $(JOB)

test: install compose-tool ## all tests: unit, then integration on a real test stack (ports +10000) started and stopped here
	@$(PY) -m pytest tests

test-unit: venv ## only the tests that need no server
	@$(PY) -m pytest -m "not integration" tests

bench: install ## benchmarks on the bench stack (ports +30000); results in bench/results/summary.json
	@PYTHONPATH=$(CURDIR) $(PY) -m bench

compose-tool: ## Debian's docker-compose (validates docker-compose.yml offline; no Docker engine needed)
	@command -v docker-compose >/dev/null || { echo "==> [install] docker-compose (Debian package)"; \
	    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-compose >/dev/null; }

compose-check: compose-tool ## validate docker-compose.yml offline
	@docker-compose -f docker-compose.yml config -q && echo "docker-compose.yml is valid"
