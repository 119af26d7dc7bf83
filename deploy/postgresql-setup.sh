#!/usr/bin/env bash
# Create the comptoir hub's PostgreSQL role and database, and print the database_url to
# give to `comptoir hub init --database-url`.
#
#   sudo -u postgres deploy/postgresql-setup.sh [ROLE [DATABASE]]     (default: comptoir)
#
# Connects as psql does (PGHOST, PGPORT, PGUSER: by default the local server's socket as
# the postgres user). The password is COMPTOIR_DB_PASSWORD, or a new random one. The URL
# printed names COMPTOIR_DB_HOST (default 127.0.0.1): the address the hub connects to.
set -euo pipefail
role="${1:-comptoir}"
database="${2:-$role}"
host="${COMPTOIR_DB_HOST:-127.0.0.1}"
port="${PGPORT:-5432}"
password="${COMPTOIR_DB_PASSWORD:-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')}"
case "$role$database" in
    *[!a-z0-9_]*) echo "Nom de rôle ou de base invalide (lettres minuscules, chiffres, _)." >&2; exit 2 ;;
esac
if [ "$(psql -XtAc "SELECT 1 FROM pg_roles WHERE rolname = '$role'")" = "1" ]; then
    echo "Le rôle PostgreSQL « $role » existe déjà : rien n'a été modifié." >&2
    exit 1
fi
# psql's :'var' and :"var" quote the values (no SQL built by string concatenation).
psql -X -q -v ON_ERROR_STOP=1 -v role="$role" -v database="$database" -v password="$password" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"database" OWNER :"role" ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"database" TO :"role";
SQL
echo "postgresql://$role:$password@$host:$port/$database"
