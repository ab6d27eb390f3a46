# The Mathematics of Deep Learning — every task is one `make` target.
# Two commands on a fresh machine with Python 3.11 and make:  `make book`, `make test`.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
EDITION ?= full
# Parallel test workers (2 cores here and in CI).
WORKERS ?= 2
NBVAL_OPTS := --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout 600 -p no:cacheprovider

.PHONY: help setup sandbox book pdf test test-fast test-notebooks test-browser execute exercises sync lab serve bench test-colab release browser npm clean

help:
	@echo "make book         build the book into _build/html (EDITION=student leaves out the solutions)"
	@echo "make pdf          print the built book into one PDF, _build/pdf/dlmath.pdf (offline, with chromium)"
	@echo "make test         the whole test suite (sets everything up first)"
	@echo "make lab          open JupyterLab at the repository root (notebooks/, exercises/)"
	@echo "make execute      re-execute the notebooks in place, storing outputs and widget state"
	@echo "make exercises    regenerate the student notebooks in exercises/ from solutions/"
	@echo "make serve        serve the built book on http://localhost:8000"
	@echo "make bench        run the benchmarks and write bench/results.md"
	@echo "make test-colab   run the course on Python 3.13 with Colab's versions (../shared/colab/pip-freeze.txt)"
	@echo "make release VERSION=x.y.z   test, set the version, point every set-up cell at tag vx.y.z, commit, tag"

# --- set-up: a virtual environment with the pinned requirements and dlmath ---
$(STAMP): requirements.txt pyproject.toml tools/ipython_kernel_config.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	mkdir -p $(VENV)/etc/ipython
	cp tools/ipython_kernel_config.py $(VENV)/etc/ipython/ipython_kernel_config.py
	touch $@

setup: $(STAMP)

# --- the book ---
book: setup npm
	$(PY) tools/build_book.py --edition $(EDITION)

# The printable edition: the built pages printed by Debian's chromium, merged into one PDF
# with a table of contents (EDITION=student prints the student edition).
pdf: book browser
	$(PY) tools/build_pdf.py --edition $(EDITION)

# npm fetches MathJax, require.js and the widget manager once (pinned, checksummed),
# so that the book serves them itself and loads nothing from elsewhere.
npm:
	@command -v npm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; \
	  else echo "Building the book needs npm once: sudo apt-get install npm"; exit 1; fi; }

serve: setup
	@echo "Serving _build/html on http://localhost:8000 (Ctrl-C to stop)"
	$(PY) -m http.server 8000 --directory _build/html

# --- notebooks ---
sync: setup
	$(PY) tools/sync_notebooks.py

execute: sync
	$(PY) tools/execute_notebooks.py $(NOTEBOOKS)

exercises: setup
	$(PY) tools/make_exercises.py

lab: setup
	$(VENV)/bin/jupyter lab --notebook-dir=.

# --- tests ---
# Debian's chromium for the browser tests (never a browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "The browser tests need Debian's chromium: sudo apt-get install chromium"; exit 1; fi; }

# Debian's bubblewrap: the sandbox every graded submission runs in (dlmath grade).
sandbox:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; \
	  else echo "Grading needs Debian's bubblewrap: sudo apt-get install bubblewrap"; exit 1; fi; }

test-fast: setup sandbox
	$(PY) tools/sync_notebooks.py --check
	$(PY) -m pytest -n $(WORKERS) --dist loadfile tests --ignore=tests/browser

test-notebooks: setup
	$(PY) -m pytest -n $(WORKERS) --dist loadfile --nbval notebooks $(NBVAL_OPTS)
	$(PY) -m pytest -n $(WORKERS) --dist loadfile --nbval-lax solutions $(NBVAL_OPTS)

test-browser: setup browser npm
	$(PY) tools/build_book.py --edition full
	$(PY) -m pytest tests/browser

test: test-fast test-notebooks test-browser

bench: setup
	$(PY) bench/run.py

# Colab's Python 3.13 and package versions, read from Colab's own list in ../shared/colab/.
test-colab: setup
	bash tools/colab_env.sh

# RELEASE_FLAGS=--skip-tests only to try the tool out (tests/test_release.py does, in a throwaway clone).
# (VERSION is checked before set-up, so a mistyped command installs nothing.)
release:
	@test -n "$(VERSION)" || { echo "usage: make release VERSION=x.y.z"; exit 2; }
	@$(MAKE) --no-print-directory setup
	$(PY) tools/release.py $(VERSION) $(RELEASE_FLAGS)

clean:
	rm -rf _build .pytest_cache
