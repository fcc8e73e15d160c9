#!/usr/bin/env bash
# The project's own PostgreSQL cluster (not the system one), kept under the cache.
# usage: scripts/postgres.sh start|stop|status|pid|logfile|url [ROLE]|database NAME [--fresh]
#   port: TASKFLOW_PG_PORT (default 25432); each port is a cluster of its own
#   url       the SQLAlchemy URL of the database `taskflow` as ROLE: taskflow (the default:
#             the tests' role, which may create databases), taskflow_migrator or
#             taskflow_runtime
#   database  create the database NAME for an app to run on (first dropping it with --fresh,
#             or when another role owns it): owned by taskflow_migrator, which runs the
#             migrations; the app runs as taskflow_runtime, to which the migrations grant
#             only what it needs (TASKFLOW_DATABASE_RUNTIME_ROLE, alembic/env.py).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

DEFAULT_PORT=25432
PORT="${TASKFLOW_PG_PORT:-$DEFAULT_PORT}"
# Each role's password is its name: the cluster listens on loopback only.
ROLES=(taskflow taskflow_migrator taskflow_runtime)
url_of() { echo "postgresql+psycopg://$1:$1@127.0.0.1:$PORT/taskflow"; }
URL="$(url_of taskflow)"

install_postgres() {
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || apt_install postgresql
}

locate() {
  BIN="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
  PGDIR="$CACHE/pg/$(basename "$(dirname "$BIN")")"
  # The default port's cluster keeps the folder it has always had.
  ((PORT == DEFAULT_PORT)) || PGDIR+="-port$PORT"
  DATA="$PGDIR/data" SOCK="$PGDIR/run"
}

# PostgreSQL refuses to run as root. Rather than opening the cache (often under a 0700
# home) to the postgres user, root runs it in a user namespace as "postgres", mapped back
# to root: the files stay the invoking user's.
as_owner() {
  if ((EUID == 0)); then
    unshare --user --map-user=postgres --map-group=postgres -- "$@"
  else
    "$@"
  fi
}

running() { [[ -d "$DATA" ]] && as_owner "$BIN/pg_ctl" status -D "$DATA" >/dev/null; }
admin_sql() { PGOPTIONS="-c client_min_messages=warning" "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PORT" -U postgres "$@"; }

start() {
  install_postgres
  locate
  if [[ ! -s "$DATA/PG_VERSION" ]]; then
    log "creating cluster in $DATA"
    mkdir -p "$DATA" "$SOCK"
    chmod 700 "$DATA"
    as_owner "$BIN/initdb" -D "$DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    cat >>"$DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOCK'
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
  fi
  if ! running; then
    as_owner "$BIN/pg_ctl" start -D "$DATA" -l "$PGDIR/server.log" -o "-p $PORT" -w -s ||
      { tail -n 20 "$PGDIR/server.log" >&2; die "PostgreSQL did not start"; }
  fi
  admin_sql -d postgres <<'SQL'
SELECT 'CREATE ROLE taskflow LOGIN CREATEDB PASSWORD ''taskflow'''
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'taskflow') \gexec
SELECT 'CREATE ROLE taskflow_migrator LOGIN PASSWORD ''taskflow_migrator'''
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'taskflow_migrator') \gexec
SELECT 'CREATE ROLE taskflow_runtime LOGIN PASSWORD ''taskflow_runtime'''
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'taskflow_runtime') \gexec
SELECT 'CREATE DATABASE taskflow OWNER taskflow'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'taskflow') \gexec
-- The tests drop their databases WITH (FORCE), which ends every session on them, an
-- autovacuum worker's too: only a member of pg_signal_backend may end that one.
GRANT pg_signal_backend TO taskflow;
SQL
  admin_sql -d taskflow -c 'CREATE EXTENSION IF NOT EXISTS pg_trgm'
  echo "$URL"
}

database() { # NAME [--fresh]
  local name="$1" fresh="${2:-}" owner
  [[ "$name" =~ ^[a-z][a-z0-9_]*$ ]] || die "not a database name: $name"
  [[ -z "$fresh" || "$fresh" == --fresh ]] || die "usage: $0 database NAME [--fresh]"
  locate
  running || die "PostgreSQL is not running (scripts/postgres.sh start)"
  owner="$(admin_sql -d postgres -tA -c \
    "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '$name'")"
  if [[ -n "$owner" && ("$fresh" == --fresh || "$owner" != taskflow_migrator) ]]; then
    [[ "$owner" == taskflow_migrator ]] || log "database $name belongs to $owner: making it anew"
    admin_sql -d postgres -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)"
    owner=""
  fi
  [[ -n "$owner" ]] || admin_sql -d postgres -c "CREATE DATABASE \"$name\" OWNER taskflow_migrator"
  # The cluster trades durability for speed (synchronous_commit off); a database an app
  # runs on does not: an acknowledged write must survive PostgreSQL being killed.
  admin_sql -d postgres -c "ALTER DATABASE \"$name\" SET synchronous_commit = on"
}

case "${1:-}" in
  start) start ;;
  stop) locate && if running; then as_owner "$BIN/pg_ctl" stop -D "$DATA" -m fast -s; fi ;;
  status) locate && if running; then echo "running: $URL"; else echo stopped; exit 3; fi ;;
  pid) locate && if running; then head -n1 "$DATA/postmaster.pid"; else exit 3; fi ;;
  logfile) locate && echo "$PGDIR/server.log" ;;
  url)
    [[ " ${ROLES[*]} " == *" ${2:-taskflow} "* ]] || die "no role ${2:-} (${ROLES[*]})"
    url_of "${2:-taskflow}"
    ;;
  database)
    [[ $# -ge 2 ]] || die "usage: $0 database NAME [--fresh]"
    database "$2" "${3:-}"
    ;;
  *) die "usage: $0 start|stop|status|pid|logfile|url [ROLE]|database NAME [--fresh]" ;;
esac
