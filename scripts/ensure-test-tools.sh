#!/usr/bin/env bash
# Some suites drive real programs from Debian's packages: a throwaway PostgreSQL server (the store suite), Chromium
# through playwright-core (the dashboard suite; browser downloads are not possible here) and SQLite's shell (the
# backup commands DEPLOYMENT.md gives are run as written). Installs what is missing when we are root with apt-get;
# otherwise names the package to install and fails.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# ensure <package> <what it is> <shell test that succeeds when it is present>
ensure() {
  local package=$1 what=$2 present=$3
  if bash -c "$present" >/dev/null 2>&1; then return 0; fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "$what not found: installing the $package package for the tests" >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
  fi
  bash -c "$present" >/dev/null 2>&1 || { echo "!!! $what is missing: apt-get install -y $package" >&2; exit 1; }
}

ensure postgresql "PostgreSQL server binaries (initdb, pg_ctl, postgres)" \
  'command -v initdb || ls /usr/lib/postgresql/*/bin/initdb'
# the Chromium the suite launches (chromium-path.sh: CHROMIUM_PATH, else the PATH's, else /usr/bin/chromium); one
# CHROMIUM_PATH names is the user's choice, so a wrong one is said, not papered over by installing Debian's
if [ -n "${CHROMIUM_PATH:-}" ]; then
  bash "$here/chromium-path.sh" >/dev/null || exit 1
else
  ensure chromium "Chromium" "bash '$here/chromium-path.sh'"
fi
ensure sqlite3 "SQLite's shell (sqlite3)" 'command -v sqlite3'
