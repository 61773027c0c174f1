# The course module's commands. The two that matter (README "Quick start"):
#   make book   -- set up .venv on first use, build the website into _build/html
#   make test   -- every check: the prerequisites, lint, lib tests + doctests, strict nbval on
#                  two CPU paths, strict book build, assignments (nbgrader), the built site in
#                  a browser
# Tiers of `make test` for the edit loop (each says what it covers): make test-lib,
# make test-notebooks NB=chapters/<file>.ipynb, make test-site, make test-assignments.
# Everything runs inside .venv; nothing is fetched at build or test time except packages at install.

PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
# Jupyter: use the platformdirs layout now (silences a DeprecationWarning that pytest turns into an error)
export JUPYTER_PLATFORM_DIRS := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1

NB ?= chapters/*.ipynb

.PHONY: book test venv lint lab serve notebooks bench assignments clean help prerequisites

help:
	@sed -n '1,8p' Makefile

## Environment: created on first use, made exactly the lock again when requirements.lock or
## pyproject.toml change. requirements.txt is the loose source (what we depend on, with ranges);
## requirements.lock is generated from it by `make lock` (uv, every version pinned with hashes)
## and is what installs: `uv pip sync` makes .venv hold exactly the locked packages (one dropped
## from the lock is removed), every download checked against its hash. uv is itself in the lock:
## pip installs that one entry first (its hashes, no dependencies: uv has none), then uv does
## the rest, and the course's own package goes on top, editable. uv compiles every installed
## module to bytecode (--compile-bytecode) as pip does: the grading kernels run in a sandbox
## that cannot write to .venv, and where PYTHONDONTWRITEBYTECODE is set (this CI machine) no
## process would, so without it every kernel compiled numpy, scipy and matplotlib again (a
## graded notebook took 4.0 s in place of 1.9 s: bench/bench_grading.py --sizes 4 --jobs 1).
## Each step prints one line; the tools' own output goes to .venv/install.log (shown on failure).
LOG := $(VENV)/install.log
UV_REQ := $(VENV)/uv-requirement.txt
venv: $(STAMP)
$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: install Python 3.11 or newer (python.org, or your package manager), or run make PYTHON=/path/to/python3.11" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || { echo "Python 3.11+ is required, $(PYTHON) is $$($(PYTHON) -V 2>&1): install a newer Python, or run make PYTHON=/path/to/python3.11" >&2; exit 1; }
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { echo "$(PYTHON) has no venv module: install it (Debian/Ubuntu: apt-get install python3-venv)" >&2; exit 1; }
	@echo "[setup 1/3] $(VENV) with $$($(PYTHON) -V)$$(test -x $(BIN)/python && echo ' (exists: made exact again)')"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "[setup 2/3] installing exactly the locked packages (uv pip sync --require-hashes --compile-bytecode requirements.lock; log: $(LOG))"
	@awk '/^uv==/{p=1} p{print; if (!/\\$$/) exit}' requirements.lock >$(UV_REQ)
	@{ { $(BIN)/python -m pip --version || $(BIN)/python -m ensurepip --default-pip; } \
	   && $(BIN)/python -m pip install --disable-pip-version-check --require-hashes --no-deps -r $(UV_REQ) \
	   && $(BIN)/uv pip sync --python $(BIN)/python --require-hashes --compile-bytecode requirements.lock \
	   && $(BIN)/uv pip install --python $(BIN)/python --no-deps --editable . ; } >$(LOG) 2>&1 \
	  || { tail -n 25 $(LOG) >&2; echo "the install failed: the whole log is $(LOG)" >&2; exit 1; }
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
## Sphinx rebuilds only the pages whose sources changed; the site's own extensions
## (web/course_site.py, and web/course_math.py with the MathJax it runs) write into every page,
## so a change to one of them rebuilds them all (--all).
SITE_EXTENSIONS := web/course_site.py web/course_math.py web/typeset_math.js web/package-lock.json
book: $(STAMP) vendor assignments-release
	@echo "[book] building the website (Jupyter Book; warnings are errors; log: $(BOOK_LOG))"
	@mkdir -p _build
	@all=; for f in $(SITE_EXTENSIONS); do [ $$f -nt _build/html/index.html ] && all=--all; done; \
	$(BIN)/jupyter-book build . $$all --warningiserror --nitpick --keep-going --quiet >$(BOOK_LOG) 2>&1 \
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
$(VENDOR_STAMP): web/package.json web/package-lock.json scripts/vendor_assets.py web/course_math.py | $(STAMP)
	@command -v $(NPM) >/dev/null || { echo "npm not found: the website's web assets come from npm. Install Node.js with npm (Debian: apt-get install nodejs npm)." >&2; exit 1; }
	@echo "[book] installing the pinned web assets (npm ci, web/package-lock.json)"
	@$(NPM) ci --prefix web --ignore-scripts --no-audit --no-fund --loglevel=error --silent
	@$(BIN)/python scripts/vendor_assets.py
	@touch $@

## Every test, and its tiers for the edit loop. Each target first says what it covers.
##
## `make test` checks the system tools (scripts/prerequisites.py: one line per missing tool,
## naming its Debian package; outside CI=true the tests that need it are skipped with that line),
## lints, builds the book (the site tests read _build/html), then runs everything in one pytest
## run on every core: pytest-xdist, `--dist loadfile` keeps each test module (its module- and
## session-scoped fixtures: the graded class, the site server) and each notebook on one worker.
## Alongside it, strict nbval runs again over the chapters on another of numpy's code paths (no
## AVX2/AVX-512 loops) and another OpenBLAS kernel: the cheapest stand-in for a student's
## different CPU; the committed outputs must reproduce there too. Those switches name x86
## features, so elsewhere (e.g. Apple silicon, which is already "another CPU") that pass is
## skipped with a message. Every run ends with its 15 slowest tests (pyproject addopts).
## `make test-hub` (assignments/hub, the JupyterHub tests) is the fifth tier: its tests are in
## tests/ and so in `make test` already; add its target below, beside test-assignments.
OTHER_CPU := NPY_DISABLE_CPU_FEATURES="X86_V3 X86_V4" OPENBLAS_CORETYPE=Sandybridge
PYTEST    := $(BIN)/python -m pytest
WORKERS   ?= auto
XDIST     := -n $(WORKERS) --dist loadfile
OTHER_LOG := test-output/nbval-other-cpu.log
# lib's own test modules (with lib's doctests: `make test-lib`)
LIB_TESTS := $(addprefix tests/test_,$(addsuffix .py,softmax contract accuracy floating online \
               losses network training gradcheck likelihood))
SITE_TESTS := $(sort $(wildcard tests/test_site_*.py tests/test_*_browser.py))
ASSIGNMENT_TESTS := $(wildcard tests/test_assignments*.py)

# $(call pytest_two_cpu_paths,WHAT TO RUN,NOTEBOOKS): run pytest on WHAT TO RUN (default CPU
# path) while strict nbval re-runs NOTEBOOKS on the other CPU path (x86_64 only; its own cache
# folder, its output in $(OTHER_LOG), printed after the main run). Fails if either run fails or
# collects nothing (pytest's exit status 5: a wrong NB= or path is an error, not a pass).
define pytest_two_cpu_paths
@mkdir -p test-output; other=; \
if [ "$$(uname -m)" = x86_64 ]; then \
  echo '[test] alongside: strict nbval of $(2) on the other CPU path ($(OTHER_CPU)); log: $(OTHER_LOG)'; \
  $(OTHER_CPU) $(PYTEST) -o cache_dir=.pytest_cache/other-cpu $(2) >$(OTHER_LOG) 2>&1 & other=$$!; \
else echo "[test] second nbval pass skipped: its CPU switches are for x86_64 (this is $$(uname -m))"; fi; \
$(PYTEST) $(1); main=$$?; second=0; \
if [ -n "$$other" ]; then wait $$other; second=$$?; \
  echo; echo "[test] strict nbval on the other CPU path ($(OTHER_LOG)):"; cat $(OTHER_LOG); fi; \
for rc in $$main $$second; do \
  if [ $$rc = 5 ]; then echo "pytest collected no tests: check the paths or NB=" >&2; exit 1; fi; \
  if [ $$rc != 0 ]; then exit $$rc; fi; \
done
endef

# $(call pytest_run,ARGUMENTS): one pytest run; exit status 5 (nothing collected) is a failure.
define pytest_run
@$(PYTEST) $(1); rc=$$?; \
if [ $$rc = 5 ]; then echo "pytest collected no tests: check the paths" >&2; exit 1; fi; exit $$rc
endef

.PHONY: test-lib test-notebooks test-site test-assignments
test: prerequisites lint book
	@echo "[test] everything: lib's tests and doctests, tests/ (site, browser, assignments), strict nbval of every chapter; pytest-xdist, $(WORKERS) workers"
	$(call pytest_two_cpu_paths,$(XDIST),chapters)

## The system tools beyond Python (chromium, bubblewrap, nodejs/npm): one line per missing one.
prerequisites:
	@$(PYTHON) scripts/prerequisites.py

## (lib's tests share no module-scoped fixture, so they spread over the workers one by one)
test-lib: lint
	@echo "[test-lib] lib's tests and doctests (and viz's doctests): $(LIB_TESTS)"
	$(call pytest_run,-n $(WORKERS) --dist load lib viz $(LIB_TESTS))

test-notebooks: $(STAMP)
	@echo "[test-notebooks] strict nbval of $(NB) on both CPU paths"
	$(call pytest_two_cpu_paths,$(if $(word 2,$(wildcard $(NB))),$(XDIST)) $(NB),$(NB))

test-site: prerequisites book
	@echo "[test-site] the built site: $(SITE_TESTS)"
	$(call pytest_run,$(XDIST) $(SITE_TESTS))

test-assignments: prerequisites $(STAMP)
	@echo "[test-assignments] the nbgrader assignments, graded end to end: $(ASSIGNMENT_TESTS)"
	$(call pytest_run,$(XDIST) $(ASSIGNMENT_TESTS))

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
.PHONY: assignments-release assignments-grade assignments-checks
assignments: assignments-release
assignments-release: $(STAMP)
	@echo "[book] generating the students' versions of the assignments (nbgrader)"
	@$(BIN)/python scripts/assignments.py release >/dev/null
## The table of hidden checks (assignments/grader/checks.py: weights, what each enforces, where the
## text states it); the expected values are computed at grading time, never stored
assignments-checks: $(STAMP)
	@cd assignments && PYTHONPATH=.. ../$(BIN)/python -m grader.checks
assignments-grade: $(STAMP)
	@test -n "$(A)" -a -n "$(IN)" || { echo "usage: make assignments-grade A=softmax_and_cost IN=folder"; exit 2; }
	$(BIN)/python scripts/assignments.py grade $(A) $(IN) $(if $(JOBS),--jobs $(JOBS))

## The course on a real JupyterHub (tests/test_hub.py; assignments/README.md "Run it on
## JupyterHub"): as root, with bubblewrap and user namespaces; it skips with one line where it
## cannot run (CI=true makes that a failure). It needs the pinned proxy from npm (vendor).
.PHONY: test-hub
test-hub: $(STAMP) $(VENDOR_STAMP)
	$(BIN)/python -m pytest tests/test_hub.py -p no:randomly

## The students' repository (scripts/student_repo.py): the course without its answers, written to
## _build/student-repo/ as a git repository ready to push to _config.yml's repository.url.
## This repository, with the solutions and the grader, stays private.
.PHONY: student-repo
student-repo: assignments-release
	@$(BIN)/python scripts/student_repo.py

clean:
	rm -rf _build .pytest_cache .hypothesis test-output web/static/npm web/node_modules
	rm -rf assignments/release assignments/gradebook.db assignments/downloaded assignments/submitted \
	       assignments/autograded assignments/feedback assignments/grades.csv assignments/.nbgrader.log \
	       assignments/reports assignments/checks
