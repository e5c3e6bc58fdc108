#!/usr/bin/env bash
# The store suite runs against a throwaway PostgreSQL server started from the machine's binaries.
# Installs the server from Debian's packages when it is missing and we are allowed to.
set -euo pipefail
have() { command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }
if have; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "PostgreSQL server binaries not found: installing the postgresql package for the store tests" >&2
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
have || { echo "!!! PostgreSQL server binaries (initdb, pg_ctl, postgres) are missing: apt-get install -y postgresql" >&2; exit 1; }
