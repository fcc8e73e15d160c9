#!/usr/bin/env bash
# make test: set-up, lint, the project's PostgreSQL, then every test tier in one pytest run.
# `scripts/test.sh lint` (make lint) stops after the lint step.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

"$ROOT/scripts/bootstrap.sh"
booted=$SECONDS
log "set-up took ${booted}s"

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy app processors tests bench
linted=$SECONDS
log "lint took $((linted - booted))s"
[[ "${1:-}" == lint ]] && exit 0

TASKFLOW_TEST_POSTGRES_URL="$("$ROOT/scripts/postgres.sh" start)"
export TASKFLOW_TEST_POSTGRES_URL
TASKFLOW_CHROMIUM="$("$ROOT/scripts/chromium.sh")"
export TASKFLOW_CHROMIUM
started=$SECONDS
rc=0
.venv/bin/python -m pytest -p no:cacheprovider tests || rc=$?
"$ROOT/scripts/dates.sh" || rc=$?
log "timings: set-up $((booted + started - linted))s, lint $((linted - booted))s," \
  "tests $((SECONDS - started))s"
((rc != 5)) || die "pytest collected no tests"
exit "$rc"
