#!/usr/bin/env bash
# Make sure nginx is installed for the reverse-proxy scenario test (TLS in front of
# `comptoir serve`). The test starts its own nginx from a configuration in a temporary
# directory; no system service is used.
set -euo pipefail
find_bin() {
    command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]
}
if find_bin; then
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    echo "nginx est absent : installez-le (sudo apt-get install nginx)." >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq nginx >/dev/null
find_bin
