#!/usr/bin/env bash
# Run TaskFlow embedded: UI and API on one port (Reflex production mode).
# PORT (default 3000) and HOST (default 127.0.0.1: this machine only) choose where it listens.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

"$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
[[ "${TASKFLOW_SKIP_MIGRATIONS:-}" == 1 ]] || .venv/bin/alembic upgrade head
# --env prod serves the compiled frontend from the backend process: one port for both.
exec .venv/bin/reflex run --env prod --single-port \
  --frontend-port "${PORT:-3000}" --backend-port "${PORT:-3000}" --backend-host "${HOST:-127.0.0.1}"
