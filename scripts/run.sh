#!/usr/bin/env bash
# Run TaskFlow embedded: UI and API on one port (Reflex production mode).
# PORT (default 3000) and HOST (default 127.0.0.1: this machine only) choose where it listens.
# WORKERS (default 1) worker processes serve that port. With more than one, Reflex keeps its
# state in the project's own Redis (scripts/redis.sh, started here when it is not running,
# and left running: other tools share it) and the workers pass events to each other through it.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

WORKERS="${WORKERS:-1}"
[[ "$WORKERS" =~ ^[1-9][0-9]*$ ]] || die "WORKERS must be a whole number of at least 1, not '$WORKERS'"
# Reflex would otherwise start two workers a core, and one more, whenever it finds a Redis URL.
export WORKERS GRANIAN_WORKERS="$WORKERS"

"$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
if ((WORKERS > 1)); then
  REFLEX_REDIS_URL="$("$ROOT/scripts/redis.sh" start)"
  export REFLEX_REDIS_URL
fi
[[ "${TASKFLOW_SKIP_MIGRATIONS:-}" == 1 ]] || .venv/bin/alembic upgrade head
# Reflex empties its states folder as it starts: a folder per port, so that a server starting
# beside another from this checkout (the stack's apps, the tests' servers) never deletes the
# files of the other, nor trips over them.
export REFLEX_STATES_WORKDIR="${REFLEX_STATES_WORKDIR:-$ROOT/.data/states/${PORT:-3000}}"
# --env prod serves the compiled frontend from the backend process: one port for both.
exec .venv/bin/reflex run --env prod --single-port \
  --frontend-port "${PORT:-3000}" --backend-port "${PORT:-3000}" --backend-host "${HOST:-127.0.0.1}"
