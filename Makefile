# Two commands on a fresh machine (only python3 needed):
#   make demo   — set up, then build the example shop project end to end
#   make test   — set up, then run the whole test suite (plus lint)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

CHROMIUM ?= /usr/bin/chromium

.PHONY: demo test test-fast lint check bench clean browser postgres extension redis

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -e ".[dev]"
	@# the kernel `interlace notebook run` executes notebooks in (this virtualenv's Python)
	$(PY) -m ipykernel install --sys-prefix --name interlace --display-name "interlace (.venv)"
	@# an editable install skips data files: link the prebuilt JupyterLab extension where Lab looks
	mkdir -p $(VENV)/share/jupyter/labextensions
	ln -sfn $(CURDIR)/interlace/labextension $(VENV)/share/jupyter/labextensions/interlace-jupyterlab
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/interlace run --project-dir examples/shop
	$(VENV)/bin/interlace schema list --project-dir examples/shop customers

# The tutorials under notebooks/ are part of the suite: nbval executes every cell in a real kernel
# of this virtualenv (--nbval-lax: outputs are live widgets and timings, so cells are run, not diffed).
NOTEBOOK_TESTS := notebooks --nbval-lax --nbval-current-env

test: $(STAMP) check browser postgres redis
	$(PY) -m pytest -q tests $(NOTEBOOK_TESTS)

test-fast: $(STAMP) postgres redis
	$(PY) -m pytest -q -m "not slow"

# Browser tests drive Debian's Chromium with Playwright (which cannot download browsers here).
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing Debian's chromium for the browser tests"; \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "WARNING: $(CHROMIUM) missing and not root: browser tests will be skipped (fail under CI)"; \
		fi; \
	fi

# Connection tests start a real PostgreSQL (Debian's postgresql: initdb + pg_ctl on a temp dir).
PG_BINDIR ?= /usr/lib/postgresql/15/bin
postgres:
	@if [ ! -x $(PG_BINDIR)/initdb ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing Debian's postgresql for the connection tests"; \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
		else \
			echo "WARNING: $(PG_BINDIR)/initdb missing and not root: the PostgreSQL tests will fail"; \
		fi; \
	fi

# Stream adapter tests start a real Redis (Debian's redis-server on a temp dir and a free port).
REDIS_SERVER ?= /usr/bin/redis-server
redis:
	@if [ ! -x $(REDIS_SERVER) ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing Debian's redis-server for the stream adapter tests"; \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
		else \
			echo "WARNING: $(REDIS_SERVER) missing and not root: the Redis stream tests will fail"; \
		fi; \
	fi

# ruff (lint, including line length) and mypy: both gate `make test`, so CI holds them
lint: $(STAMP)
	$(VENV)/bin/ruff check interlace tests bench

check: lint
	$(VENV)/bin/mypy interlace

# Benchmarks (not tests): bench/README.md. Peers and the TPC-H generator get their own virtualenvs
# (SQLMesh pins an older sqlglot; duckdb-extension-tpch pins the duckdb it was built for).
PEERS_VENV := bench/.peers-venv
TPCH_VENV := bench/.tpch-venv

$(PEERS_VENV)/.installed-stamp: bench/requirements-peers.txt
	test -x $(PEERS_VENV)/bin/python || python3 -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/python -m pip install -q --disable-pip-version-check -r bench/requirements-peers.txt
	touch $@

$(TPCH_VENV)/.installed-stamp: bench/requirements-tpch.txt
	test -x $(TPCH_VENV)/bin/python || python3 -m venv $(TPCH_VENV)
	$(TPCH_VENV)/bin/python -m pip install -q --disable-pip-version-check -r bench/requirements-tpch.txt
	touch $@

bench: $(STAMP) $(PEERS_VENV)/.installed-stamp $(TPCH_VENV)/.installed-stamp
	$(PY) bench/tpch.py
	$(PY) bench/peers.py
	$(PY) bench/plan_scale.py
	$(PY) bench/strategies.py
	$(PY) bench/many_models.py
	$(PY) bench/docs_site.py
	$(PY) bench/forwarding.py
	$(PY) bench/startup.py
	$(PY) bench/lineage.py
	$(PY) bench/scheduler.py
	@# Hook for the notebook benchmark (`%load_ext interlace` time, one-cell model overhead):
	@# bench/notebook.py is written with the notebook issue; it runs here as soon as it exists.
	@if [ -f bench/notebook.py ]; then $(PY) bench/notebook.py; \
	else echo "bench/notebook.py: not available yet (the notebook benchmark lands with the magics)"; fi

# Rebuild the prebuilt JupyterLab extension (interlace/labextension/, committed) from extension/:
# needs Node.js and npm's registry; `make test` only checks the recorded hash of the sources.
extension: $(STAMP)
	cd extension && PATH="$(CURDIR)/$(VENV)/bin:$$PATH" jlpm install && PATH="$(CURDIR)/$(VENV)/bin:$$PATH" jlpm build
	$(PY) extension/source_hash.py --write

clean:
	rm -rf $(VENV) examples/*/.interlace .pytest_cache
