#!/usr/bin/env bash
# make test: set-up, lint, the project's PostgreSQL, every test tier in one pytest run, then
# the pinned-date runs; the time of each step and tier at the end.
# `scripts/test.sh lint` (make lint) stops after the lint step.
# `scripts/test.sh fast` (make test-fast): lint, then the unit tier and the contract tier on
# SQLite, in one process, without PostgreSQL, the browser or what is marked slow (a warm
# .venv is assumed: the set-up runs only when there is none).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
mode="${1:-all}"

timings=()
timed() {
  local name=$1 started=$SECONDS
  shift
  "$@"
  timings+=("$name $((SECONDS - started)) s")
  # Said at once too: a run cut short (CI's time limit) still shows where its time went.
  log "$name: $((SECONDS - started)) s"
}
report() {
  log "timings:"
  for line in "${timings[@]}" "total $SECONDS s"; do log "  $line"; done
}

if [[ "$mode" != fast || ! -x .venv/bin/python ]]; then
  timed set-up "$ROOT/scripts/bootstrap.sh"
fi

lint() {
  .venv/bin/ruff check .
  .venv/bin/ruff format --check .
  .venv/bin/mypy app processors tests bench
  .venv/bin/lint-imports
}
timed lint lint
if [[ "$mode" == lint ]]; then
  report
  exit 0
fi

rc=0
tiers="$(mktemp)"
trap 'rm -f "$tiers"' EXIT
if [[ "$mode" == fast ]]; then
  started=$SECONDS
  # Without the fuzz tier's plugins (schemathesis, hypothesis): they cost seconds to load.
  .venv/bin/python -m pytest -p no:cacheprovider -p no:schemathesis -p no:hypothesispytest \
    -q -m "not postgres and not slow" tests/unit tests/contract || rc=$?
  timings+=("tests $((SECONDS - started)) s")
else
  started=$SECONDS
  TASKFLOW_TEST_POSTGRES_URL="$("$ROOT/scripts/postgres.sh" start)"
  export TASKFLOW_TEST_POSTGRES_URL
  TASKFLOW_CHROMIUM="$("$ROOT/scripts/chromium.sh")"
  export TASKFLOW_CHROMIUM
  timings+=("postgres and chromium $((SECONDS - started)) s")
  log "postgres and chromium: $((SECONDS - started)) s; the tiers start at $SECONDS s"
  started=$SECONDS
  TASKFLOW_TIER_TIMINGS="$tiers" .venv/bin/python -m pytest -p no:cacheprovider \
    -p tests.support.timings tests || rc=$?
  timings+=("pytest $((SECONDS - started)) s, of which the tiers' tests (set-up, call, tear-down):")
  while read -r tier seconds; do timings+=("  $tier $seconds s"); done <"$tiers"
  started=$SECONDS
  "$ROOT/scripts/dates.sh" || rc=$?
  timings+=("pinned dates $((SECONDS - started)) s")
fi
report
((rc != 5)) || die "pytest collected no tests"
exit "$rc"
