#!/usr/bin/env bash
# The chat, recurrence, offset and reminder tests with the clock pinned (by Debian's libfaketime)
# to days that catch date bugs: Nov 30, Dec 1, Dec 31, Feb 29 and a DST switch day, each at
# an awkward hour. The clock still moves from there; PostgreSQL is not pinned, so the contract
# tests run on SQLite only, in the test's process, which reads dates in the pinned day's zone.
# One pytest process per pin, TASKFLOW_DATE_JOBS (default: all) at a time: most of a run is
# waiting for reminders to fire, so the pins overlap well even on two cores.
# usage: scripts/dates.sh [pytest args...]
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

compgen -G '/usr/lib/*/faketime/libfaketime.so.1' >/dev/null || apt_install libfaketime
LIB="$(compgen -G '/usr/lib/*/faketime/libfaketime.so.1' | head -n1)"

# "<time zone> <local start time>": month ends, a leap day, the eve of Europe's spring DST switch
# (tomorrow has 23 hours) and the night of the US one.
PINS=(
  "Europe/Berlin 2026-11-30 23:30:00"
  "Europe/Berlin 2026-12-01 23:30:00"
  "Europe/Berlin 2026-12-31 23:30:00"
  "Europe/Berlin 2028-02-29 23:30:00"
  "Europe/Berlin 2027-03-27 23:30:00"
  "America/New_York 2027-03-14 01:30:00"
)
JOBS="${TASKFLOW_DATE_JOBS:-${#PINS[@]}}"
TESTS=(
  tests/unit/test_chat_assistant.py tests/unit/test_chat_phrases.py
  tests/unit/test_chat_replies.py tests/unit/test_recurrence.py tests/unit/test_offsets.py
  tests/contract/test_chat.py tests/contract/test_recurrence.py tests/contract/test_reminders.py
)

LOGS="$(mktemp -d)"
trap 'rm -rf "$LOGS"' EXIT

pinned() {
  local zone=$1 day=$2 clock=$3 start
  shift 3
  start="$(date -u -d "TZ=\"$zone\" $day $clock" "+%Y-%m-%d %H:%M:%S")"
  echo "pinned at $day $clock $zone ($start UTC)"
  # Both clocks start there and run on: libfaketime 0.9.10 refuses (EINVAL) the monotonic
  # sleeps of Python when only the wall clock is faked (FAKETIME_DONT_FAKE_MONOTONIC=1).
  # Left out: what reads no date and takes long (slow); it runs once, in the main run.
  TZ=UTC LD_PRELOAD="$LIB" FAKETIME="@$start" FAKETIME_DONT_RESET=1 TASKFLOW_TIMEZONE="$zone" \
    .venv/bin/python -m pytest -p no:cacheprovider -q -m "not postgres and not slow" \
    "${TESTS[@]}" "$@"
}

pids=()
for number in "${!PINS[@]}"; do
  while (($(jobs -rp | wc -l) >= JOBS)); do wait -n || true; done
  read -r zone day clock <<<"${PINS[$number]}"
  pinned "$zone" "$day" "$clock" "$@" >"$LOGS/$number.log" 2>&1 &
  pids[number]=$!
done

rc=0
for number in "${!PINS[@]}"; do
  status=0
  wait "${pids[number]}" || status=$?
  if ((status == 0)); then
    log "$(head -n1 "$LOGS/$number.log"): $(tail -n1 "$LOGS/$number.log")"
  else
    cat "$LOGS/$number.log" >&2
    rc=$status
  fi
done
exit "$rc"
