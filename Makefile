# Two commands on a fresh machine (only python3 needed):
#   make demo   — set up, then build the example shop project end to end
#   make test   — set up, then run the whole test suite (plus lint)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

CHROMIUM ?= /usr/bin/chromium

.PHONY: demo test test-fast lint check bench clean browser

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/interlace run --project-dir examples/shop
	$(VENV)/bin/interlace schema list --project-dir examples/shop customers

test: $(STAMP) lint browser
	$(PY) -m pytest -q

test-fast: $(STAMP)
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

lint: $(STAMP)
	$(VENV)/bin/ruff check interlace tests bench

check: lint
	$(VENV)/bin/mypy interlace

bench: $(STAMP)
	$(PY) bench/many_models.py

clean:
	rm -rf $(VENV) examples/*/.interlace .pytest_cache
