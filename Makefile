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

## Environment: created on first use, refreshed when the lock file or pyproject.toml change.
## requirements.txt is the loose source (what we depend on, with ranges); requirements.lock is
## generated from it by `make lock` (uv, every version pinned with hashes) and is what installs.
## Each step prints one line; pip's own output goes to .venv/install.log (shown on failure).
LOG := $(VENV)/install.log
venv: $(STAMP)
$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: install Python 3.11 or newer (python.org, or your package manager), or run make PYTHON=/path/to/python3.11" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || { echo "Python 3.11+ is required, $(PYTHON) is $$($(PYTHON) -V 2>&1): install a newer Python, or run make PYTHON=/path/to/python3.11" >&2; exit 1; }
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { echo "$(PYTHON) has no venv module: install it (Debian/Ubuntu: apt-get install python3-venv)" >&2; exit 1; }
	@echo "[setup 1/3] creating $(VENV) with $$($(PYTHON) -V)"
	@$(PYTHON) -m venv $(VENV)
	@echo "[setup 2/3] installing the locked packages (requirements.lock; log: $(LOG))"
	@{ $(BIN)/python -m pip install --upgrade pip \
	   && $(BIN)/python -m pip install --require-hashes --no-deps -r requirements.lock \
	   && $(BIN)/python -m pip install --no-deps --editable . ; } >$(LOG) 2>&1 \
	  || { tail -n 25 $(LOG) >&2; echo "pip failed: the whole log is $(LOG)" >&2; exit 1; }
	@echo "[setup 3/3] registering the Jupyter kernel"
	@$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (softmax course)" >>$(LOG) 2>&1
	@touch $(STAMP)

## Regenerate requirements.lock from requirements.txt after you change requirements.txt (or to
## take newer releases within its ranges), then run `make test` and commit both files.
## Universal: one lock for Linux, macOS and Windows, Python 3.11 and newer.
## Left out: rfc3987-syntax, jsonschema's optional check of the "iri" string format (wanted by
## jupyter-events). It builds a grammar when imported, 1.4 s at the start of every process that
## imports nbformat (nbgrader, the book build, nbval); without it jsonschema skips that one check
## (lark, its grammar library, goes with it).
.PHONY: lock
lock: $(STAMP)
	$(BIN)/uv pip compile requirements.txt --universal --python-version 3.11 --generate-hashes \
	  --no-emit-package softmax-lecture-lib --no-emit-package rfc3987-syntax --no-emit-package lark \
	  --quiet --output-file requirements.lock

## The website, built strictly: warnings (and nitpicky broken references) are errors.
## It needs the site's own web assets (vendor) and the student versions of the assignments,
## which the Practice page offers as downloads.
BOOK_LOG := _build/book.log
book: $(STAMP) vendor assignments-release
	@echo "[book] building the website (Jupyter Book; warnings are errors; log: $(BOOK_LOG))"
	@mkdir -p _build
	@$(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going --quiet >$(BOOK_LOG) 2>&1 \
	  || { grep -v '^$$' $(BOOK_LOG) | tail -n 30 >&2; echo "the book build failed: the whole log is $(BOOK_LOG)" >&2; exit 1; }
	@$(BIN)/python web/course_site.py --notice
	@echo
	@echo "Website built. Open file://$(CURDIR)/_build/html/index.html"
	@echo "or run 'make serve' and open http://127.0.0.1:8000/"

## Web assets the site serves itself (MathJax; axe-core for the tests): pinned in web/package-lock.json, installed by `npm ci` (Node.js with npm is a
## prerequisite), and the files a browser needs copied into web/static/npm/ (never committed).
NPM          ?= npm
VENDOR_STAMP := web/static/npm/.copied
.PHONY: vendor
vendor: $(VENDOR_STAMP)
$(VENDOR_STAMP): web/package.json web/package-lock.json scripts/vendor_assets.py | $(STAMP)
	@command -v $(NPM) >/dev/null || { echo "npm not found: the website's web assets come from npm. Install Node.js with npm (Debian: apt-get install nodejs npm)." >&2; exit 1; }
	@echo "[book] installing the pinned web assets (npm ci, web/package-lock.json)"
	@$(NPM) ci --prefix web --ignore-scripts --no-audit --no-fund --loglevel=error --silent
	@$(BIN)/python scripts/vendor_assets.py
	@touch $@

## Every test. The book is built first because the browser test walks the built site.
## Then strict nbval again on another of numpy's code paths (no AVX2/AVX-512 loops) and another
## OpenBLAS kernel: the cheapest stand-in for a student's different CPU. The committed outputs
## must reproduce there too. Those switches name x86 features, so elsewhere (e.g. Apple
## silicon, which is already "another CPU") the second pass is skipped with a message.
OTHER_CPU := NPY_DISABLE_CPU_FEATURES="X86_V3 X86_V4" OPENBLAS_CORETYPE=Sandybridge
test: lint book
	$(BIN)/python -m pytest
	@if [ "$$(uname -m)" = x86_64 ]; then \
	  echo "strict nbval again, on numpy's baseline code path and another OpenBLAS kernel:"; \
	  $(OTHER_CPU) $(BIN)/python -m pytest chapters; \
	else echo "second nbval pass skipped: its CPU switches are for x86_64 (this is $$(uname -m))"; fi

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
	@echo "[book] generating the students' versions of the assignments (nbgrader)"
	@$(BIN)/python scripts/assignments.py release >/dev/null
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
