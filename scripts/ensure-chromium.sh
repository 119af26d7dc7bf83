#!/usr/bin/env bash
# Make sure Debian's chromium is installed for the browser tests (Playwright drives it by
# path; nothing downloads a browser).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    echo "Chromium est absent : installez-le (sudo apt-get install chromium)." >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null
