#!/usr/bin/env bash
# Make sure Debian's Chromium is there for the browser tests (Playwright's own download does not work here).
set -euo pipefail
CHROMIUM=${GUICHET_CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] && exit 0
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "Installing Debian's chromium for the browser tests (apt-get)..."
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
  [ -x "$CHROMIUM" ] && exit 0
fi
cat >&2 <<MSG
Chromium was not found at $CHROMIUM and could not be installed with apt-get.
Install Chromium (Debian/Ubuntu: 'apt-get install chromium') or point GUICHET_CHROMIUM at it.
Browser tests will be skipped outside CI, and fail in CI.
MSG
[ -z "${CI:-}" ] || exit 1
