VENV ?= .venv
PY := $(VENV)/bin/python
# Where torch comes from. Empty: pip's configured index (PyPI's Linux x86-64 wheel is the CUDA
# build, gigabytes). For the CPU build there: make install TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH_INDEX ?=
TORCH := torch==2.13.0
FLOORS := $(VENV)-floors
SUITE ?= tasks/default.toml
BASELINE ?= results/baselines/smoke
CI_OUT ?= results/ci

.PHONY: install run test test-slow test-floors lint docs smoke bench-ci bench-baseline mutate clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	# The pinned torch first, from TORCH_INDEX when given, so the package install keeps it.
	$(PY) -m pip install -q $(TORCH) $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	# The real tasks' packages (extra 'real') and ray (extra 'ray') too, so the test suite
	# exercises the real tasks and the Ray executor.
	$(PY) -m pip install -q -e '.[dev,real,ray]'
	touch $@

install: $(VENV)/.installed

run: install
	$(VENV)/bin/grubench run $(SUITE)

smoke: install
	$(VENV)/bin/grubench run smoke

# One pytest worker per core (pytest-xdist), each test file on one worker so its module
# fixtures are built once: nearly every test is one-thread Python, so on two cores a serial run
# leaves one idle.
test: install
	$(VENV)/bin/pytest -q -n auto --dist loadfile

# The slow set: a real Ray cluster joined by address, an A/B run of two real commits, the scaling
# study. Minutes each on two cores, so outside `make test`; .ci/run and the scheduled workflow
# run it.
test-slow: install
	$(VENV)/bin/pytest -q -m slow

# The CI gate: the gate suite (tasks/gate.toml) on BASE (default HEAD, i.e. the last commit)
# and on the working tree, trial by trial, side by side on this machine, compared pair by pair
# (grubench ab): exit 1 on a regression. The report, JSON, chart and github-action-benchmark files land in CI_OUT.
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

# Mutation testing of the stopping, tuning and answer rules ([tool.mutmut] in pyproject.toml):
# every surviving mutant is a rule no test holds. Long (minutes per module), so not in `make test`.
mutate: install
	$(PY) -m pip install -q 'mutmut>=3.2'
	$(VENV)/bin/mutmut run
	$(VENV)/bin/mutmut results

# Re-make docs/cli.md from every command's --help (tests/cli/test_docs.py fails while it is stale).
docs: install
	$(PY) docs/gen_cli.py

# The oldest versions pyproject.toml admits for the core dependencies, in a venv of their own,
# against the whole test suite: a floor the code outgrew fails here first.
test-floors:
	python3 -m venv $(FLOORS)
	$(FLOORS)/bin/pip install -q $(TORCH) $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(FLOORS)/bin/pip install -q -e '.[dev,real,ray]' $$(sed -n 's/^ *"\([a-z]*\)>=\([0-9.]*\)",.*/\1==\2/p' \
		pyproject.toml | grep -v '^torch==')
	$(FLOORS)/bin/pytest -q -x -p no:randomly

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	# imports point down the layers in pyproject.toml's [tool.importlinter], with no cycles
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) $(FLOORS) build *.egg-info mutants
