VENV ?= .venv
PY := $(VENV)/bin/python
SUITE ?= tasks/default.toml
BASELINE ?= results/baselines/smoke
CI_OUT ?= results/ci

.PHONY: install run test lint docs smoke bench-ci bench-baseline clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	# The CPU build of torch first: an unpinned torch would pull a multi-GB CUDA build.
	$(PY) -m pip install -q torch==2.13.0
	# ray (extra 'ray') is installed too, so the test suite exercises the Ray executor.
	$(PY) -m pip install -q -e '.[dev,ray]'
	touch $@

install: $(VENV)/.installed

run: install
	$(VENV)/bin/grubench run $(SUITE)

smoke: install
	$(VENV)/bin/grubench run tasks/smoke.toml

test: install
	$(VENV)/bin/pytest -q

# The CI gate: the smoke suite on BASE (default HEAD, i.e. the last commit) and on the working
# tree, trial by trial, alternated on this machine, compared pair by pair (grubench ab): exit 1 on
# a regression. The report, JSON, chart and github-action-benchmark files land in CI_OUT.
BASE ?= HEAD
bench-ci: install
	rm -rf $(CI_OUT)
	$(VENV)/bin/grubench ab $(BASE) --out $(CI_OUT)

# Re-make the committed baseline (after an intended change in speed, size or accuracy).
bench-baseline: install
	rm -rf $(BASELINE)
	$(VENV)/bin/grubench run tasks/smoke.toml --out $(BASELINE)
	# Only the data are committed; the report is re-made from them on demand.
	rm -rf $(BASELINE)/plots $(BASELINE)/report.md $(BASELINE)/report.html

# Re-make docs/cli.md from every command's --help (tests/cli/test_docs.py fails while it is stale).
docs: install
	$(PY) docs/gen_cli.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	# imports point down the layers in pyproject.toml's [tool.importlinter], with no cycles
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) build *.egg-info
