#!/usr/bin/env bash
# make bench: latency of listing, filtering, search and deep pages over real HTTP, on SQLite
# and PostgreSQL at 10,000 and 100,000 tasks; the same on the local Dapr stack; then load
# (Locust at 50 connections and 1,000 simulated people, 1,000 open board tabs) against
# `make run` and the stack. Writes docs/benchmarks.md.
# usage: scripts/bench.sh [python -m bench options: --sizes 10000 --no-stack --load-only ...]
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
scripts/bootstrap.sh
exec .venv/bin/python -m bench "$@"
