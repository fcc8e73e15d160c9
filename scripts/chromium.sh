#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright drives it through executable_path).
# Installed with apt when missing; quick and silent when present. Prints its path.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

CHROMIUM="${TASKFLOW_CHROMIUM:-/usr/bin/chromium}"

if [[ ! -x "$CHROMIUM" ]]; then
  apt_install chromium
  [[ -x "$CHROMIUM" ]] || die "chromium was installed but $CHROMIUM is missing"
fi
echo "$CHROMIUM"
