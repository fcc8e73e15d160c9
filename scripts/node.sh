#!/usr/bin/env bash
# Ensure a Node.js >= 22.22 for Reflex: the one on PATH if new enough, else the npm
# package node-linux-<arch>@22 under the cache (scripts/lib.sh puts its bin first on PATH).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

MIN=22.22.0
node_ok() {
  local v
  v="$(node --version 2>/dev/null)" || return 1
  [[ "$(printf '%s\n' "$MIN" "${v#v}" | sort -V | head -n1)" == "$MIN" ]]
}

if ! node_ok; then
  command -v npm >/dev/null || die "npm is needed to install Node.js $MIN+"
  log "installing $NODE_PKG@22 into $CACHE/node"
  npm install --prefix "$CACHE/node" --no-save --no-package-lock "$NODE_PKG@22" >&2
  hash -r
  node_ok || die "node $(node --version) is older than $MIN"
fi
log "node $(node --version) at $(command -v node)"
