#!/usr/bin/env bash
# Run TaskFlow embedded: UI and API on one port (Reflex production mode, served by Granian).
# PORT (default 3000) and HOST (default 127.0.0.1: this machine only) choose where it listens.
# WORKERS (default 1) worker processes serve that port. With more than one, Reflex keeps its
# state in the project's own Redis (scripts/redis.sh, started here when it is not running,
# and left running: other tools share it) and the workers pass events to each other through it.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

WORKERS="${WORKERS:-1}"
[[ "$WORKERS" =~ ^[1-9][0-9]*$ ]] || die "WORKERS must be a whole number of at least 1, not '$WORKERS'"
export WORKERS # the app reads it too (app/config.py)

"$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
if ((WORKERS > 1)); then
  REFLEX_REDIS_URL="$("$ROOT/scripts/redis.sh" start)"
  export REFLEX_REDIS_URL
fi
[[ "${TASKFLOW_SKIP_MIGRATIONS:-}" == 1 ]] || .venv/bin/alembic upgrade head
PORT="${PORT:-3000}"

# The compiled frontend (Reflex's pages, built by Node), built again only when what it is built
# from has changed: the app's code and assets, the locked versions, and Reflex's settings, the
# port it connects to among them (not its folders, nor the Redis the backend keeps states in).
built_from() {
  {
    echo "port $PORT"
    env | grep -E '^REFLEX_' | grep -vE '^REFLEX_(WEB_WORKDIR|STATES_WORKDIR|REDIS_URL)=' | sort
    find app assets reflex.lock -name __pycache__ -prune -o -type f -print0 | sort -z | xargs -0 sha256sum
    sha256sum rxconfig.py uv.lock
  } | sha256sum | cut -d' ' -f1
}
web="${REFLEX_WEB_WORKDIR:-$ROOT/.web}"
stamp="$web/taskflow-built-from"
inputs="$(built_from)"
if [[ ! -f "$web/build/client/index.html" || "$(cat "$stamp" 2>/dev/null)" != "$inputs" ]]; then
  rm -f "$stamp"
  REFLEX_FRONTEND_PORT="$PORT" REFLEX_BACKEND_PORT="$PORT" \
    .venv/bin/reflex export --frontend-only --no-zip --env prod
  echo "$inputs" >"$stamp"
fi

# Served as the image serves it (Dockerfile.app): Granian runs the backend, which serves the
# compiled frontend too, on one port. A folder of UI states per port, emptied at start as
# `reflex run` does, so that servers started side by side from this checkout never share one.
export REFLEX_STATES_WORKDIR="${REFLEX_STATES_WORKDIR:-$ROOT/.data/states/$PORT}"
rm -rf "$REFLEX_STATES_WORKDIR"
# Each worker holds as many connections as the listen backlog: the kernel hands new connections
# to the workers unevenly, and past its backpressure (by default the backlog divided by the
# workers) a worker leaves them waiting while another has room.
BACKLOG=1024
export REFLEX_ENV_MODE=prod __REFLEX_SKIP_COMPILE=true __REFLEX_MOUNT_FRONTEND_COMPILED_APP=true
exec .venv/bin/granian --interface asgi --factory --host "${HOST:-127.0.0.1}" --port "$PORT" \
  --workers "$WORKERS" --backlog "$BACKLOG" --backpressure "$BACKLOG" app.app:app
