VENV ?= .venv
PY := $(VENV)/bin/python
SUITE ?= tasks/default.toml

.PHONY: install run test lint smoke clean

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

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) build *.egg-info
