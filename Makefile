# make dashboard  — set up .venv and serve the try-on dashboard (Voila on 127.0.0.1:8866)
# make test       — set up .venv and run the default test suite
# make test-all   — also the slow tests
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# A local data folder (here ../shared/data) is used when present; otherwise code downloads.
SHARED := $(abspath $(CURDIR)/../shared/data)
ifeq ($(origin AIFASHION_DATA), undefined)
ifneq ($(wildcard $(SHARED)),)
export AIFASHION_DATA := $(SHARED)
endif
endif

.PHONY: venv dashboard test test-all notebooks bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

dashboard: $(STAMP)
	$(BIN)/aifashion dashboard

test: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

test-all: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	for f in bench/*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache
