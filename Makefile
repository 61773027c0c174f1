# The course module's commands. The two that matter (README "Quick start"):
#   make book   -- set up .venv on first use, build the website into _build/html
#   make test   -- every check: lint, lib tests + doctests, strict nbval, strict book build,
#                  assignments (nbgrader), browser test of the built site
# Everything runs inside .venv; nothing is fetched at build or test time except packages at install.

PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
# Jupyter: use the platformdirs layout now (silences a DeprecationWarning that pytest turns into an error)
export JUPYTER_PLATFORM_DIRS := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1

NB ?= chapters/*.ipynb

.PHONY: book test venv lint lab serve notebooks bench assignments clean help

help:
	@sed -n '1,12p' Makefile

## Environment: created on first use, refreshed when requirements.txt or pyproject.toml change.
venv: $(STAMP)
$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (softmax course)" >/dev/null
	touch $(STAMP)

## The website, built strictly: warnings (and nitpicky broken references) are errors.
## It needs the site's own web assets (vendor) and the student versions of the assignments,
## which the Practice page offers as downloads.
book: $(STAMP) vendor assignments-release
	$(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going --quiet
	@echo
	@echo "Website built. Open file://$(CURDIR)/_build/html/index.html"
	@echo "or run 'make serve' and open http://127.0.0.1:8000/"

## Web assets the site serves itself (MathJax, the ipywidgets HTML manager, RequireJS): pinned in
## web/package-lock.json, installed from npm (Node.js with npm is a prerequisite), copied into
## web/static/npm/ (never committed). Re-done when the lock file or the copy script changes.
NPM          ?= npm
VENDOR_STAMP := web/static/npm/VERSIONS.json
.PHONY: vendor
vendor: $(VENDOR_STAMP)
$(VENDOR_STAMP): web/package.json web/package-lock.json scripts/vendor_assets.py | $(STAMP)
	@command -v $(NPM) >/dev/null || { echo "npm not found: the website's web assets come from npm. Install Node.js with npm (Debian: apt-get install nodejs npm)." >&2; exit 1; }
	$(NPM) ci --prefix web --ignore-scripts --no-audit --no-fund --loglevel=error
	$(BIN)/python scripts/vendor_assets.py

## Every test. The book is built first because the browser test walks the built site.
test: lint book
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## JupyterLab on the notebooks (chapters and assignments).
lab: $(STAMP)
	$(BIN)/jupyter lab

## Serve the built site on localhost only.
serve:
	$(BIN)/python -m http.server 8000 --bind 127.0.0.1 --directory _build/html

## Re-execute notebooks top to bottom and store their outputs (the only way committed outputs are made).
notebooks: $(STAMP)
	$(BIN)/python scripts/execute_notebooks.py $(NB)

## Speed and accuracy against scipy.special and one np.exp, as ratios.
bench: $(STAMP)
	$(BIN)/python bench/bench_softmax.py
	$(BIN)/python bench/bench_accuracy.py
	$(BIN)/python bench/bench_online.py

## Assignments (nbgrader; assignments/README.md). Student versions -> assignments/release/
## (the website links them, so `make book` needs them first); grading: A=<assignment> IN=<folder>
## holding <student>/<assignment>.ipynb -> collect, autograde, grades.csv, feedback HTML. Grading
## runs every kernel in bubblewrap (Debian package `bubblewrap`; assignments/README.md).
.PHONY: assignments-release assignments-grade assignments-expected
assignments: assignments-release
assignments-release: $(STAMP)
	$(BIN)/python scripts/assignments.py release
## The hidden tests' expected values (mpmath) -> assignments/expected_values.json
assignments-expected: $(STAMP)
	$(BIN)/python scripts/assignment_reference_values.py
assignments-grade: $(STAMP)
	@test -n "$(A)" -a -n "$(IN)" || { echo "usage: make assignments-grade A=softmax_and_cost IN=folder"; exit 2; }
	$(BIN)/python scripts/assignments.py grade $(A) $(IN)

clean:
	rm -rf _build .pytest_cache .hypothesis test-output web/static/npm web/node_modules
	rm -rf assignments/release assignments/gradebook.db assignments/downloaded assignments/submitted \
	       assignments/autograded assignments/feedback assignments/grades.csv assignments/.nbgrader.log
