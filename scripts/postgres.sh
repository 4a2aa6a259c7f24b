#!/usr/bin/env bash
# Start (or reuse) a local PostgreSQL server and make sure Odoo can log in to it.
# Writes the connection settings to $CACHE/odoo.conf for the Makefile, with this
# checkout's own HTTP port (HTTP_PORT, default 8069; GEVENT_PORT, default HTTP_PORT + 3),
# so that several checkouts can run side by side.
#   1. a server already answering on localhost:$PGPORT is reused;
#   2. otherwise a Debian cluster is started (PostgreSQL is installed from Debian
#      packages first when missing);
#   3. when no cluster can be started, a private one is created under $CACHE/pgdata.
# Run as root, the server always runs as the `postgres` user.
set -euo pipefail

CACHE=${CACHE:-.cache}
PGPORT=${PGPORT:-5432}
DB_USER=${DB_USER:-msp}
DB_PASSWORD=${DB_PASSWORD:-msp}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)

as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

can_login() {
    PGPASSWORD=$DB_PASSWORD psql -h localhost -p "$1" -U "$DB_USER" -d postgres -Atqc 'select 1' >/dev/null 2>&1
}

ensure_role() {  # $1: port, $2: psql connection options for a superuser
    local port=$1; shift
    can_login "$port" && return 0
    as_postgres psql "$@" -p "$port" -d postgres -v ON_ERROR_STOP=1 -qc \
        "DO \$\$BEGIN
           IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') THEN
             CREATE ROLE \"$DB_USER\" LOGIN CREATEDB PASSWORD '$DB_PASSWORD';
           ELSE
             ALTER ROLE \"$DB_USER\" LOGIN CREATEDB PASSWORD '$DB_PASSWORD';
           END IF;
         END\$\$;" >/dev/null
    can_login "$port"
}

write_conf() {  # $1: port
    cat > "$CACHE/odoo.conf" <<CONF
[options]
db_host = localhost
db_port = $1
db_user = $DB_USER
db_password = $DB_PASSWORD
http_interface = 127.0.0.1
http_port = ${HTTP_PORT:-8069}
gevent_port = ${GEVENT_PORT:-$(( ${HTTP_PORT:-8069} + 3 ))}
CONF
    echo "PostgreSQL ready on localhost:$1 (role $DB_USER)"
}

server_up() { pg_isready -q -h localhost -p "$1" 2>/dev/null; }

if ! command -v pg_ctlcluster >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ]; then
        echo "ERROR: PostgreSQL is not installed and installing it needs root (apt-get install postgresql)." >&2
        exit 2
    fi
    echo "Installing PostgreSQL from Debian packages..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-client >/dev/null
fi

# 1 and 2: the machine's own server.
if ! server_up "$PGPORT" && command -v pg_lsclusters >/dev/null 2>&1; then
    cluster=$(pg_lsclusters -h 2>/dev/null | awk -v p="$PGPORT" '$3 == p {print $1, $2; exit}')
    if [ -n "$cluster" ]; then
        # shellcheck disable=SC2086
        pg_ctlcluster $cluster start 2>/dev/null || true
        for _ in $(seq 30); do server_up "$PGPORT" && break; sleep 0.5; done
    fi
fi
if server_up "$PGPORT" && ensure_role "$PGPORT" 2>/dev/null; then
    write_conf "$PGPORT"
    exit 0
fi

# 3: a private cluster, owned by `postgres` when we are root.
PRIVATE_PORT=${PRIVATE_PORT:-54329}
PGDATA="$CACHE/pgdata"
bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
if [ ! -f "$PGDATA/PG_VERSION" ]; then
    mkdir -p "$PGDATA"
    [ "$(id -u)" = 0 ] && chown postgres: "$PGDATA"
    as_postgres "$bindir/initdb" -D "$PGDATA" -U postgres --auth=trust >/dev/null
fi
if ! server_up "$PRIVATE_PORT"; then
    [ "$(id -u)" = 0 ] && chown postgres: "$PGDATA"
    as_postgres "$bindir/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w \
        -o "-p $PRIVATE_PORT -k /tmp -c listen_addresses=localhost" start >/dev/null
fi
ensure_role "$PRIVATE_PORT" -h localhost -U postgres
write_conf "$PRIVATE_PORT"
