# The workbench's everyday commands. Each creates .venv on first use.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-slow lab bench clean browser slurm

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 not found: set PYTHON=/path/to/python3.11"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -c "from workbench.kernelspec import ensure_kernelspec; ensure_kernelspec()"
	touch $(STAMP)

## run: the main job: every notebook on the synthetic default -> outputs/default/index.html
run: $(STAMP)
	$(BIN)/workbench run studies/default.yaml

## browser: Debian's chromium for the JupyterLab browser test (apt-get when missing; needs root)
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) || echo "chromium could not be installed: tests/test_lab_browser.py will be skipped"

## slurm: Debian's slurm-wlm and munge (apt-get when missing; needs root) and the slurm extra, for tests/test_slurm.py
slurm: $(STAMP)
	@$(BIN)/python -c "import dask_jobqueue" 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[slurm]' || echo "the slurm extra (dask-jobqueue) could not be installed: the Slurm test will be skipped"
	@PATH="$$PATH:/usr/sbin"; if command -v slurmctld >/dev/null 2>&1 && command -v munged >/dev/null 2>&1; then :; elif [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge; then :; else echo "slurm-wlm and munge could not be installed (needs root and apt-get): the Slurm test of tests/test_slurm.py will be skipped"; fi

## test: lint, the layer contract, the test suite and the doctests (slow tests excluded)
test: $(STAMP) browser
	$(BIN)/ruff check workbench tests notebooks benchmarks
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

## test-slow: only the slow tests (coverage over many seeds, full real-data builds, browsers)
test-slow: $(STAMP) slurm
	$(BIN)/python -m pytest -q -m slow

## lab: JupyterLab with the project's kernel, notebooks/ open (LAB_ARGS="--port 8890 --no-browser")
lab: $(STAMP)
	$(BIN)/workbench lab $(LAB_ARGS)

## bench: speed and memory benchmarks against the plain alternatives
bench: $(STAMP)
	$(BIN)/python benchmarks/ingest_rtt.py
	$(BIN)/python benchmarks/ingest_new_publications.py
	$(BIN)/python benchmarks/bootstrap_draws.py
	@if [ -f benchmarks/batch_vs_papermill.py ]; then $(BIN)/python benchmarks/batch_vs_papermill.py; fi

clean:
	rm -rf outputs/default outputs/interactive
