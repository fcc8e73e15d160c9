#!/usr/bin/env bash
# make bench: latency of listing, filtering, search and deep pages over real HTTP, on SQLite
# and PostgreSQL at 10,000 and 100,000 tasks; writes docs/benchmarks.md.
# usage: scripts/bench.sh [python -m bench options: --sizes 10000 --backends sqlite ...]
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
scripts/bootstrap.sh
exec .venv/bin/python -m bench "$@"
