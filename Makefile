# The README's two commands: `make run` (set up and run the app) and `make test`
# (set up and run the tests). Everything else here is what those two need.
#
# Needs only python3.11 with pip; uv is installed with pip when missing, and uv
# never downloads a Python of its own (UV_PYTHON_DOWNLOADS=never).

SHELL := /bin/bash
PYTHON ?= python3.11
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
# Trust the platform's CA store (Debian's ca-certificates), as pip and curl do here.
export UV_SYSTEM_CERTS ?= 1
# `uv` on PATH, or the one pip put into this Python (always reachable as a module).
UV := $(shell command -v uv 2>/dev/null || echo $(PYTHON) -m uv)
PYTEST_ARGS ?=
# `make bench BENCH="restore --skip-matrix"`: one of manage.py bench's benchmarks.
BENCH ?= import

.PHONY: run test setup uv chromium lint bench

run: setup
	.venv/bin/python manage.py run

test: setup chromium
	@.venv/bin/python -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: that is a failure here" >&2; exit 1; fi; \
	exit $$status

setup: uv
	$(UV) sync --frozen

uv:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || \
	  $(PYTHON) -m pip install --quiet uv 2>/dev/null || \
	  $(PYTHON) -m pip install --quiet --break-system-packages uv

# Browser tests drive Debian's chromium (never a browser that Playwright downloads).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get install -y -q chromium >/dev/null 2>&1 || \
	     (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)) && echo "installed chromium"; \
	  else \
	    echo "no /usr/bin/chromium and not root: browser tests will be skipped" >&2; \
	  fi; \
	fi

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

bench: setup
	.venv/bin/python manage.py bench $(BENCH)
