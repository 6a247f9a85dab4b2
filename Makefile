# Two set-up commands: `make run` and `make test`. Everything else is usage.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# dagster-dbt looks for `dbt` on PATH: the venv's bin goes first.
export PATH := $(CURDIR)/$(BIN):$(PATH)
export HUB_DATA_DIR ?= $(CURDIR)/data

.PHONY: install run test ui bench clean chromium

$(BIN)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

install: $(BIN)/.installed

# One line per stream and phase, then the headline numbers; `make run RUN_ARGS=-v` adds dbt's node lines.
run: install
	@$(BIN)/python -m pipelines nightly $(RUN_ARGS)

test: install chromium
	$(BIN)/python -m pytest

# The browser tests drive Debian's chromium (Playwright never downloads a browser). Installed
# with apt-get when missing, as root; otherwise they skip with the reason (and fail under CI).
CHROMIUM ?= /usr/bin/chromium
chromium:
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
	else \
		echo "warning: $(CHROMIUM) is missing and we are not root: run 'sudo apt-get install chromium'; browser tests will skip" >&2; \
	fi

ui: install
	$(BIN)/python -m pipelines ui

bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) data dbt_project/target dbt_project/logs
