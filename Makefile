# make lab        — set up .venv and open the course notebooks in JupyterLab (127.0.0.1, this venv's kernel)
# make dashboard  — set up .venv and serve the try-on dashboard (Voila on 127.0.0.1:8866)
# make test       — set up .venv and run the default test suite
# make test-all   — also the slow tests
# make bench      — the side-by-side benchmarks a user runs (about 5-10 minutes on 2 cores)
# make lint       — ruff: lint and format check (package, tests, tools, bench, notebooks)
# make format     — ruff: fix what can be fixed and format
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

.PHONY: venv lab dashboard test test-all lint format notebooks bench clean

# PyTorch 2.14.1 from PyPI is a CUDA build (it also runs on the CPU): the venv takes about 6.5 GB.
# Say so up front rather than fail half-way with "No space left on device" (skipped once torch is in).
NEED_GB := 7
$(STAMP): pyproject.toml
	@$(BIN)/python -c 'import torch' 2>/dev/null || $(PYTHON) -c 'import shutil, sys; free = shutil.disk_usage(sys.argv[1]).free / 1e9; sys.exit(0 if free >= $(NEED_GB) else f"make: only {free:.1f} GB free in {sys.argv[1]}; setting up .venv (PyTorch, a CUDA build) needs about $(NEED_GB) GB. Free some disk space and run make again.")' "$(CURDIR)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

# JupyterLab on notebooks/ with this venv's Python as the kernel (the venv's own kernelspec comes
# first). The project's notebooks are trusted so that Voila's preview renders them without asking.
# `make lab LAB_PORT=8890` for another port, `LAB_ARGS=--no-browser` on a machine without a desktop.
LAB_PORT ?= 8888
LAB_ARGS ?=
lab: $(STAMP)
	@$(BIN)/jupyter trust notebooks/*.ipynb >/dev/null 2>&1
	@echo "make lab: JupyterLab on notebooks/ at http://127.0.0.1:$(LAB_PORT)/lab -- open the address with its token printed below (Ctrl-C stops)"
	JUPYTER_PREFER_ENV_PATH=1 $(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(LAB_PORT) --ServerApp.port_retries=0 --ServerApp.root_dir=notebooks $(LAB_ARGS)

dashboard: $(STAMP)
	$(BIN)/aifashion dashboard

test: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

test-all: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Each bench prints its machine line, its timings and its ratio last. Left out, to run by hand:
# bench/time_to_quality.py (three arms of 30 training minutes each by default, about 90 minutes;
# `--minutes 3` for a short run) and bench/dashboard_kernels.py (needs Chromium; its default --out
# redraws docs/dashboard_kernels.png). bench/_common.py is the benches' shared code, not a bench.
bench: $(STAMP)
	$(BIN)/python bench/compose.py
	$(BIN)/python bench/data_throughput.py
	$(BIN)/python bench/train_throughput.py --quick
	$(BIN)/python bench/conv_kernels.py
	$(BIN)/python bench/segment_speed.py
	$(BIN)/python bench/dashboard_latency.py

clean:
	rm -rf $(VENV) .pytest_cache
