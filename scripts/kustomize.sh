#!/usr/bin/env bash
# Render a kustomization to stdout, the way `kubectl apply -k DIR` would see it:
#   scripts/kustomize.sh k8s/overlays/local
# Uses, in order: $KUSTOMIZE, a kustomize on PATH or in the cache, `kubectl kustomize`, and
# only when none exists, kustomize built from the Go module proxy into <cache>/bin (once).
set -euo pipefail

KUSTOMIZE_VERSION=v5.7.1
CACHE="${TASKFLOW_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/taskflow}"
BIN="$CACHE/bin"

[[ $# -eq 1 ]] || { echo "usage: $0 KUSTOMIZATION_DIR" >&2; exit 2; }
dir="$1"

if [[ -n "${KUSTOMIZE:-}" ]]; then
  exec "$KUSTOMIZE" build "$dir"
fi
if command -v kustomize >/dev/null 2>&1; then
  exec kustomize build "$dir"
fi
if [[ -x "$BIN/kustomize" ]]; then
  exec "$BIN/kustomize" build "$dir"
fi
if command -v kubectl >/dev/null 2>&1 && kubectl kustomize --help >/dev/null 2>&1; then
  exec kubectl kustomize "$dir"
fi

command -v go >/dev/null 2>&1 || { echo "kustomize.sh: need kustomize, kubectl or go" >&2; exit 1; }
mkdir -p "$BIN"
echo "kustomize.sh: building kustomize $KUSTOMIZE_VERSION into $BIN (once)" >&2
(
  cd "$(mktemp -d)"
  GOBIN="$BIN" GOPATH="$CACHE/go" GOMODCACHE="$CACHE/go/pkg/mod" GOFLAGS=-modcacherw \
    CGO_ENABLED=0 go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" >&2
)
exec "$BIN/kustomize" build "$dir"
