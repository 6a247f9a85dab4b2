# Two set-up commands: `make run` and `make test`. Everything else is usage.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# dagster-dbt looks for `dbt` on PATH: the venv's bin goes first.
export PATH := $(CURDIR)/$(BIN):$(PATH)
export HUB_DATA_DIR ?= $(CURDIR)/data

.PHONY: install run test ui bench clean

$(BIN)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/python -m pipelines nightly

test: install
	$(BIN)/python -m pytest

ui: install
	$(BIN)/python -m pipelines ui

bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) data dbt_project/target dbt_project/logs
