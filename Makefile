# Two commands on a fresh machine:
#   make run    the whole pipeline locally, end to end, on embedded defaults
#   make test   every test suite (types, jest, pytest, synth, security scan, workflow lint)
# Both install what is missing first (npm packages, the Python venv) and skip what is already installed.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
# Spark 3.5 (Glue 5.1) needs Java 17; use the machine's Java 17 unless JAVA_HOME is set.
JAVA_HOME ?= $(firstword $(wildcard /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/*17*))
export JAVA_HOME

NODE_STAMP := node_modules/.installed-from-lock
VENV_STAMP := $(VENV)/.installed-from-requirements

.PHONY: install browser run test bench bench-all query status dashboard clean-local help

help:
	@echo "make run      run the whole pipeline locally (embedded fake Spotify unless credentials are set)"
	@echo "make test     run every test suite"
	@echo "make bench    measure a local run: wall time and peak memory"
	@echo "make bench-all    also the extract, Glue, warehouse and synth benchmarks (minutes)"
	@echo "make query NAME=<analysis>   run one analysis on the local warehouse"
	@echo "make status   what the local warehouse holds"
	@echo "make dashboard   the listening dashboard on the local warehouse (http://127.0.0.1:8501)"
	@echo "make clean-local   delete the local bucket folder and warehouse"

install: $(NODE_STAMP) $(VENV_STAMP)

# npm ci only when the lock file changed since the last install. --prefer-offline: the lock file pins every version
# and its checksum, so tarballs already in npm's cache are used without asking the registry about each again.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --prefer-offline
	@touch $@

# --no-compile: pip byte-compiles every module of every package (pyspark alone is thousands), half of a fresh
# install's CPU (58.6 s -> 34.6 s here); Python compiles the modules a run imports when it first imports them.
$(VENV_STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is needed (Glue 5.1 runs 3.11); set PYTHON=/path/to/python3.11")'
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-compile -r requirements.txt
	@touch $@

run: install
	npx tsx cli/index.ts run $(ARGS)

# The dashboard's browser check drives Debian's Chromium (tools that download their own browser cannot reach
# it here); an emoji font so playlist names with emoji render. Installed when missing and we may (root, apt).
browser:
	@command -v chromium >/dev/null && dpkg -s fonts-noto-color-emoji >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null 2>&1 || \
	     (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null)); \
	  else echo "Chromium is missing: install Debian's chromium package (or set CHROMIUM_PATH); the dashboard browser check needs it."; fi; }

# The npm packages, the venv and the browser install side by side (a fresh clone: downloads and unpacking, little
# CPU); each is skipped when already there.
test:
	@$(MAKE) --no-print-directory -j3 $(NODE_STAMP) $(VENV_STAMP) browser
	@mkdir -p build/test-results
	npx tsx scripts/test-all.ts

bench: install
	npx tsx bench/local-run-bench.ts

# The component benchmarks (minutes each: 1,000,000-item Glue and warehouse runs, 50,000-item extract, synth).
bench-all: bench
	npm run bench:extract
	npm run bench:extract-faults
	npm run bench:plays
	npm run bench:glue
	npm run bench:warehouse
	npm run bench:synth

query: install
	npx tsx cli/index.ts query $(NAME)

status: install
	npx tsx cli/index.ts status

dashboard: install
	npx tsx cli/index.ts dashboard $(ARGS)

clean-local:
	rm -rf .local/bucket .local/warehouse.duckdb .local/warehouse.duckdb.wal
