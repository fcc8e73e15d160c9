#!/usr/bin/env bash
# The OpenID provider the tests sign in at: panva's oidc-provider (npm, pinned) on the
# project's Node, installed under the cache, configured by tests/oidc/provider.mjs.
# usage: scripts/oidc-provider.sh install   (idempotent; quick and silent when installed)
#        scripts/oidc-provider.sh start     (install if needed, then serve on 127.0.0.1 in the
#                                            foreground; the first line out is the issuer URL)
# start needs OIDC_CLIENT_ID, OIDC_CLIENT_SECRET and OIDC_REDIRECT_URI.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

VERSION=9.13.3
PACKAGES="$CACHE/oidc-provider/$VERSION"

installed() { [[ -f "$PACKAGES/node_modules/oidc-provider/package.json" ]]; }

install() {
  installed && return
  "$ROOT/scripts/node.sh"
  log "installing oidc-provider@$VERSION into $PACKAGES"
  # Into a folder of its own first, so that two runs at once never see half an install.
  local staging
  staging="$(mktemp -d "$CACHE/oidc-provider.XXXXXX")"
  npm install --prefix "$staging" --no-save --no-package-lock "oidc-provider@$VERSION" >&2
  mkdir -p "$(dirname "$PACKAGES")"
  mv -T "$staging" "$PACKAGES" 2>/dev/null || rm -rf "$staging"
  installed || die "oidc-provider@$VERSION is missing from $PACKAGES after npm install"
}

case "${1:-}" in
  install) install ;;
  start)
    install
    "$ROOT/scripts/node.sh"
    OIDC_PROVIDER_PACKAGES="$PACKAGES" exec node "$ROOT/tests/oidc/provider.mjs"
    ;;
  *) die "usage: $0 install|start" ;;
esac
