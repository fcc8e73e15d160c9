#!/usr/bin/env bash
# make test: set-up, lint, then four pytest runs side by side, each waiting much of its time (for
# reminders to fire, for servers and browsers to answer), so that together they keep 2 cores
# busy:
# - the broker's outage (Kafka killed for five minutes) on a stack of its own
#   (TASKFLOW_STACK_INSTANCE=1 scripts/stack.sh), which would otherwise hold up every other
#   stack test for as long;
# - the other stack tests (tests/integration) on the first stack;
# - two halves of every other tier; they share a PostgreSQL cluster, apart from the stacks',
#   whose fault tests kill theirs;
# - the pinned-date runs (scripts/dates.sh), from when the first of those lanes has ended.
# The time of each step and tier at the end.
# `scripts/test.sh lint` (make lint) stops after the lint step.
# `scripts/test.sh fast` (make test-fast): lint, and the unit tier and the contract tier on
# SQLite in four shares side by side (pytest --shard, one process each: much of the tests'
# time is spent waiting for timers, so four overlap well on 2 cores), without PostgreSQL, the
# browser or what is marked slow (a warm .venv is assumed: the set-up runs only when there is
# none).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
mode="${1:-all}"

# Compiled modules (and pytest's rewritten tests) kept between runs, outside the clone:
# compiling them again costs every run seconds.
export PYTHONPYCACHEPREFIX="$CACHE/pycache"
unset PYTHONDONTWRITEBYTECODE

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

# Chained, not under `set -e`, which a step run in the background would not obey.
lint() {
  .venv/bin/ruff check . &&
    .venv/bin/ruff format --check . &&
    .venv/bin/mypy app processors tests bench &&
    .venv/bin/lint-imports
}

rc=0
outputs="$(mktemp -d)"
trap 'rm -rf "$outputs"' EXIT
# `background NAME COMMAND...`: COMMAND in the background, its output kept for `finish`.
background() {
  local name=$1
  shift
  (
    started=$SECONDS
    status=0
    "$@" >"$outputs/$name" 2>&1 || status=$?
    echo "$status $((SECONDS - started))" >"$outputs/$name.status"
  ) &
}
# `finish NAME...`: once every step has ended, each one's output, time and status in turn.
finish() {
  wait
  local name status seconds
  for name in "$@"; do
    cat "$outputs/$name"
    read -r status seconds <"$outputs/$name.status"
    timings+=("$name $seconds s")
    ((status != 5)) || log "$name: pytest collected no tests"
    ((status == 0)) || rc=1
  done
}
if [[ "$mode" == fast ]]; then
  share() {
    .venv/bin/python -m pytest -p no:cacheprovider -q -m "not postgres and not slow" \
      --shard "$1" tests/unit tests/contract
  }
  background lint lint
  shares=()
  for k in 1 2 3 4; do
    shares+=("tests, share $k of 4")
    background "${shares[-1]}" share "$k/4"
  done
  finish lint "${shares[@]}"
  report
  exit "$rc"
fi

timed lint lint
if [[ "$mode" == lint ]]; then
  report
  exit 0
fi

started=$SECONDS
TASKFLOW_TEST_POSTGRES_URL="$("$ROOT/scripts/postgres.sh" start)"
# The other tiers' cluster, on the next port.
OTHERS_PG_PORT=25433
OTHERS_POSTGRES_URL="$(TASKFLOW_PG_PORT=$OTHERS_PG_PORT "$ROOT/scripts/postgres.sh" start)"
TASKFLOW_CHROMIUM="$("$ROOT/scripts/chromium.sh")"
export TASKFLOW_CHROMIUM
timings+=("postgres and chromium $((SECONDS - started)) s")
log "postgres and chromium: $((SECONDS - started)) s; the tiers start at $SECONDS s"

# `tiers NAME PGURL PYTEST_ARGS...`: one pytest run on that cluster, its tiers' times written
# to $outputs/NAME.tiers.
tiers() {
  TASKFLOW_TEST_POSTGRES_URL=$2 TASKFLOW_TIER_TIMINGS="$outputs/$1.tiers" \
    .venv/bin/python -m pytest -p no:cacheprovider -p tests.support.timings "${@:3}"
}
OUTAGE_TEST=tests/integration/test_faults.py::test_broker_killed_for_five_minutes_loses_and_doubles_nothing
outage() { TASKFLOW_STACK_INSTANCE=1 tiers outage "$TASKFLOW_TEST_POSTGRES_URL" "$OUTAGE_TEST"; }
stack_tier() { tiers stack "$TASKFLOW_TEST_POSTGRES_URL" --deselect "$OUTAGE_TEST" tests/integration; }
# The browser's tiers in one half, the rest in the other: about as long.
BROWSER_TIERS=(tests/e2e tests/fuzz)
other_tiers() { # 1 or 2: that half
  local tier half=(--ignore tests/integration)
  export TASKFLOW_PG_PORT=$OTHERS_PG_PORT
  for tier in "${BROWSER_TIERS[@]}"; do
    if (($1 == 1)); then half+=("$tier"); else half+=(--ignore "$tier"); fi
  done
  (($1 == 1)) || half+=(tests)
  tiers "others-$1" "$OTHERS_POSTGRES_URL" "${half[@]}"
}
background "the broker's outage" outage
background "the other stack tests" stack_tier
background "the other tiers, first half" other_tiers 1
background "the other tiers, second half" other_tiers 2
# The pinned-date runs once the first lane has ended: the cores are busy until then.
wait -n || true
background "the pinned dates" "$ROOT/scripts/dates.sh"
finish "the broker's outage" "the other stack tests" "the other tiers, first half" \
  "the other tiers, second half" "the pinned dates"
timings+=("of which the tiers' tests (set-up, call, tear-down):")
while read -r tier seconds; do timings+=("  $tier $seconds s"); done < <(
  awk '{ seconds[$1] += $2 } END { for (tier in seconds) print tier, seconds[tier] }' "$outputs"/*.tiers | sort
)
report
exit "$rc"
