#!/bin/sh
# The PostgreSQL + Redis pass: start a throwaway PostgreSQL 15 and redis-server on free
# loopback ports, run the test suite on them (DATABASE_URL, REDIS_URL), stop them.
# Extra arguments go to pytest, e.g. `tests/scaleout/ci_postgres_redis.sh tests/scaleout -x`.
# Fails (exit 3) when either server is not installed: in CI that must never pass quietly.
set -eu
cd "$(dirname "$0")/../.."
export RESTOREADMIN_SCALEOUT_PASS=1
export RESTOREADMIN_DATA_DIR="${RESTOREADMIN_DATA_DIR:-$(mktemp -d /tmp/restoreadmin-pgpass-XXXXXX)}"
exec uv run --frozen python -m tests.scaleout.services -- \
    uv run --frozen pytest "$@"
