#!/usr/bin/env bash
# Make sure the Debian tools the tests drive are there: Chromium for the browser tests (Playwright's
# own browser download does not work here), strace for the power-loss ordering test (D-03), and the real peers
# the channel tests start in a temporary folder: dovecot (IMAP), slapd (LDAP) and nginx (a reverse proxy).
set -euo pipefail
CHROMIUM=${GUICHET_CHROMIUM:-/usr/bin/chromium}
missing=()
[ -x "$CHROMIUM" ] || missing+=(chromium)
command -v strace >/dev/null 2>&1 || missing+=(strace)
[ -x /usr/sbin/dovecot ] || missing+=(dovecot-imapd)
[ -x /usr/sbin/slapd ] || missing+=(slapd)
command -v ldapadd >/dev/null 2>&1 || missing+=(ldap-utils)
[ -x /usr/sbin/nginx ] || missing+=(nginx-light)
[ ${#missing[@]} -eq 0 ] && exit 0
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "Installing Debian's ${missing[*]} for the tests (apt-get)..."
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  [ -x "$CHROMIUM" ] && command -v strace >/dev/null 2>&1 && [ -x /usr/sbin/dovecot ] && [ -x /usr/sbin/slapd ] \
    && [ -x /usr/sbin/nginx ] && exit 0
fi
cat >&2 <<MSG
Could not install ${missing[*]} with apt-get.
Install them (Debian/Ubuntu: 'apt-get install chromium strace dovecot-imapd slapd ldap-utils nginx-light'), or point
GUICHET_CHROMIUM at a Chromium. Tests that need them will be skipped outside CI, and fail in CI.
MSG
[ -z "${CI:-}" ] || exit 1
