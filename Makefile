# The project's vocabulary. Run `make help` for the list.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV  := .venv
PY    := $(VENV)/bin/python
BOT   := $(PY) -m bot
MODEL := models/assistant.tar.gz
# What a trained model depends on; code of non-trainable components is read at run time, and so
# is the red-flag catalogue (the detector builds from it when the server starts), so editing it
# needs no training.
TRAINING_INPUTS := config.yml domain.yml $(filter-out data/red_flags.yml,$(shell find data -name '*.yml' 2>/dev/null))
# The learned tier reader's examples are copied from the red-flag corpus and the studied sets
# (docs/SAFETY.md, "A learned tier reader"): a case added there reaches the reader at `make train`.
TIER_DATA := data/tier_reader.yml

export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

.PHONY: help install train run shell reload evaluate test test-unit test-conversations lint types validate evaluate bench load production production-stop lock clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-20s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt constraints.txt scripts/find-python310
	@test -x $(PY) || { PY310=$$(scripts/find-python310) && "$$PY310" -m venv $(VENV); }
	$(PY) -m pip install --quiet --disable-pip-version-check pip==24.0
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	@touch $@

# The widget's third-party client code (socket.io-client) and axe-core for the browser tests,
# exactly as package-lock.json pins them; node_modules is never committed.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed node_modules/.installed ## create .venv and node_modules with the pinned dependencies

$(TIER_DATA): $(VENV)/.installed tests/red_flags/corpus.yml $(wildcard tests/blind/*.yml tests/real_world/*.yml) bot/tooling/evaluation/safety.py
	$(PY) -m bot.tooling.evaluation.tier_reader --write-data

$(MODEL): $(VENV)/.installed $(TIER_DATA) $(TRAINING_INPUTS)
	$(BOT) train
	@touch $@

train: $(MODEL) ## train the model when training data or config changed (summary; log in var/logs/train.log)

run: $(MODEL) node_modules/.installed ## start the action server, the Rasa server (REST and socket.io on localhost:5005) and the demo page with the chat widget
	$(BOT) run

shell: $(MODEL) ## chat with the assistant in the terminal
	$(BOT) shell

reload: $(VENV)/.installed $(TIER_DATA) ## after a content edit: retrain what changed and load it into the running bot
	$(BOT) reload
	@touch $(MODEL)

# Fastest first, so a broken import fails in the first minute, not after training. Serial make
# runs the prerequisites in this order; the last line runs every test that tests/unit does not.
test: lint types test-unit validate $(MODEL) node_modules/.installed ## everything CI checks: lint, types, unit tests, validate, then train and the model, server and browser tests
	$(PY) -m pytest tests --ignore=tests/unit

test-unit: $(VENV)/.installed ## fast tests that need no trained model
	$(PY) -m pytest tests/unit

lint: $(VENV)/.installed ## ruff over bot/, actions/ and tests/ (settings in pyproject.toml)
	$(PY) -m ruff check bot actions tests

types: $(VENV)/.installed ## mypy over bot/ and actions/ (settings in pyproject.toml)
	$(PY) -m mypy bot actions

validate: $(VENV)/.installed ## Rasa's validator (warnings are errors) and the content checks, every problem in one run; no training
	$(PY) -m bot.tooling.content_checks.validate

evaluate: $(VENV)/.installed ## train the NLU, evaluate held-out intents and red flags; report in reports/ (ARGS=--cross-validation 5, --update-baseline, --compare a.yml b.yml, --first-run tests/blind/batchN.yml --write-misses --drop-passed)
	$(PY) -m bot.tooling.evaluation $(ARGS)

bench: $(MODEL) ## per-turn cost, throughput, memory, start-up, training, reload, as ratios to a `rasa init` bot in the same run (ARGS=--quick, --no-reference, --retrain-reference): docs/BENCHMARKS.md
	$(PY) -m bot.tooling.bench $(ARGS)

production: $(MODEL) ## nginx, 2 Rasa replicas, 2 action servers on PostgreSQL and Redis (localhost:8080; docs/OPERATIONS.md)
	$(PY) -m bot.tooling.production

production-stop: ## stop what `make production` started
	$(PY) -m bot.tooling.production --stop

load: $(MODEL) ## load test of the production topology (a few minutes): figures for docs/OPERATIONS.md
	$(PY) -m bot.tooling.load $(ARGS)

lock: ## re-pin every dependency into constraints.txt after changing requirements.txt
	rm -rf /tmp/lock-venv && PY310=$$(scripts/find-python310) && "$$PY310" -m venv /tmp/lock-venv
	/tmp/lock-venv/bin/pip install --quiet pip==24.0 && /tmp/lock-venv/bin/pip install --quiet -r requirements.txt
	{ head -2 constraints.txt; /tmp/lock-venv/bin/pip freeze; } > constraints.txt.new && mv constraints.txt.new constraints.txt

clean: ## remove trained models, reports and caches (keeps .venv and var/)
	rm -rf models reports results .rasa .pytest_cache .ruff_cache .mypy_cache
