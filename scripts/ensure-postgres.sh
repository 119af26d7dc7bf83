#!/usr/bin/env bash
# Make sure PostgreSQL's server binaries (initdb, pg_ctl, postgres) are installed.
# Tests start their own throwaway cluster from them; no system service is used.
set -euo pipefail
find_bin() {
    command -v pg_ctl >/dev/null 2>&1 && return 0
    ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1
}
if find_bin; then
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    echo "PostgreSQL est absent : installez-le (sudo apt-get install postgresql)." >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq postgresql >/dev/null
find_bin
