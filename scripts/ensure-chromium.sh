#!/usr/bin/env bash
# The dashboard suite drives Debian's Chromium through playwright-core (browser downloads are not possible here).
# Installs it from Debian's packages when it is missing and we are allowed to.
set -euo pipefail
have() { command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; }
if have; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Chromium not found: installing the chromium package for the dashboard tests" >&2
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
have || { echo "!!! Chromium is missing: apt-get install -y chromium" >&2; exit 1; }
