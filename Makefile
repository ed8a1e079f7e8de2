# The two commands of the README. Each sets up what is missing (scripts/setup.sh) first.
VENV ?= .venv
SETUP := $(VENV)/.hadam-hw-installed
PY := $(VENV)/bin/python

.PHONY: demo test test-slow test-soak lint setup clean

setup:
	@bash scripts/setup.sh

demo: setup
	@$(VENV)/bin/hadam-hw demo

test: setup
	@$(PY) -m pytest -q -m "not slow and not soak"

test-slow: setup
	@$(PY) -m pytest -q -m "slow"

test-soak: setup
	@$(PY) -m pytest -q -m "soak"

lint: setup
	@$(VENV)/bin/ruff check hadam_hw rtl_gen sim train estimate flow tests bench
	@$(VENV)/bin/lint-imports

clean:
	rm -rf build runs report sim_build .pytest_cache .hypothesis
