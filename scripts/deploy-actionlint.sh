#!/usr/bin/env bash
# Lint GitHub workflows with actionlint, built once from the Go module proxy into <cache>/bin:
#   scripts/deploy-actionlint.sh .github/workflows/deploy.yml
set -euo pipefail

ACTIONLINT_VERSION=v1.7.12
CACHE="${TASKFLOW_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/taskflow}"
BIN="$CACHE/bin"
tool="$BIN/actionlint-$ACTIONLINT_VERSION"

if [[ ! -x "$tool" ]]; then
  command -v go >/dev/null 2>&1 || { echo "deploy-actionlint.sh: go is needed" >&2; exit 1; }
  mkdir -p "$BIN"
  echo "deploy-actionlint.sh: building actionlint $ACTIONLINT_VERSION (once)" >&2
  build="$(mktemp -d)"
  trap 'rm -rf "$build"' EXIT
  (
    cd "$build"
    GOBIN="$build" GOPATH="$CACHE/go" GOMODCACHE="$CACHE/go/pkg/mod" GOFLAGS=-modcacherw \
      CGO_ENABLED=0 go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" >&2
  )
  mv "$build/actionlint" "$tool"
fi
exec "$tool" -no-color "$@"
