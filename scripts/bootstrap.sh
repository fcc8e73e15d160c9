#!/usr/bin/env bash
# Idempotent set-up: uv 0.13.9, the locked .venv on the system Python, Node.js for Reflex, the
# OpenID provider the sign-in tests use.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

UV_VERSION=0.13.9
uv_ok() { [[ "$("$1" --version 2>/dev/null) " == "uv $UV_VERSION "* ]]; }

UV=uv
if ! uv_ok "$UV"; then
  UV="$CACHE/uv/bin/uv"
  if ! uv_ok "$UV"; then
    log "installing uv $UV_VERSION into $CACHE/uv"
    python3 -m venv "$CACHE/uv"
    "$CACHE/uv/bin/pip" install --quiet "uv==$UV_VERSION"
  fi
fi

cd "$ROOT"
"$UV" sync --frozen --python python3 --quiet
"$ROOT/scripts/node.sh"
"$ROOT/scripts/oidc-provider.sh" install
