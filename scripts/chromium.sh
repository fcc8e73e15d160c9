#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright drives it through executable_path).
# Installed with apt when missing; quick and silent when present. Prints its path.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

CHROMIUM="${TASKFLOW_CHROMIUM:-/usr/bin/chromium}"

if [[ ! -x "$CHROMIUM" ]]; then
  command -v apt-get >/dev/null || die "no $CHROMIUM and no apt-get: install Chromium, or set TASKFLOW_CHROMIUM"
  sudo=()
  ((EUID == 0)) || sudo=(sudo)
  log "installing Debian's chromium"
  "${sudo[@]}" apt-get update -q >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >&2
  [[ -x "$CHROMIUM" ]] || die "chromium was installed but $CHROMIUM is missing"
fi
echo "$CHROMIUM"
