# Carbon Stream — every entry point is a Make target (see README "Make targets").
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python

.PHONY: venv test

## venv: project virtualenv with pinned Python dependencies (idempotent)
venv: $(VENV)/.installed
$(VENV)/.installed: requirements.in requirements.lock
	@echo "==> Python virtualenv $(VENV) (pinned by requirements.lock)"
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(VENV)/bin/pip install --quiet --upgrade pip
	@$(VENV)/bin/pip install --quiet -r requirements.in -c requirements.lock
	@touch $@

## test: the whole test suite (unit + integration on a real stack it starts itself)
test: venv
	$(PY) -m pytest -q tests
