#!/usr/bin/env bash
# The project's own Redis (not a system one), on loopback, with a password, nothing persisted:
# where several app processes keep their Reflex state (scripts/stack.sh with REPLICAS > 1).
# Its configuration, password, log and PID are kept under the cache.
# usage: scripts/redis.sh start|stop|status|pid|url
#   start   install Debian's redis-server when there is no redis-server, start it (running:
#           nothing to do); prints its URL
#   url     redis://:<password>@127.0.0.1:<port>/0; the password is made once (mode 0600)
#   status  "running: 127.0.0.1:<port>" or "stopped" (exit 3)
#   pid     the server's PID (exit 3 when stopped)
# port: TASKFLOW_REDIS_PORT (default 26379)
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

PORT="${TASKFLOW_REDIS_PORT:-26379}"
HOME_DIR="$CACHE/redis"
CONF="$HOME_DIR/redis.conf"
PASSWORD_FILE="$HOME_DIR/password"
PIDFILE="$HOME_DIR/redis.pid"
LOG="$HOME_DIR/server.log"

ensure_server() {
  command -v redis-server >/dev/null || apt_install redis-server
  command -v redis-server >/dev/null || die "redis-server was installed but is not on PATH"
  command -v redis-cli >/dev/null || apt_install redis-tools
}

prepare() { # the folder (0700), the password (made once) and the configuration (0600)
  mkdir -p "$HOME_DIR"
  chmod 700 "$HOME_DIR"
  if [[ ! -s "$PASSWORD_FILE" ]]; then
    (umask 077 && python3 -c 'import secrets; print(secrets.token_urlsafe(32))' >"$PASSWORD_FILE.tmp")
    mv "$PASSWORD_FILE.tmp" "$PASSWORD_FILE"
  fi
  (
    umask 077
    # A cache of sessions, not a store of record: no snapshots, no append-only file.
    cat >"$CONF.tmp" <<CONF
bind 127.0.0.1
port $PORT
protected-mode yes
requirepass $(cat "$PASSWORD_FILE")
daemonize yes
pidfile $PIDFILE
logfile $LOG
dir $HOME_DIR
save ""
appendonly no
CONF
  )
  mv "$CONF.tmp" "$CONF"
}

pid() { [[ -s "$PIDFILE" ]] && cat "$PIDFILE"; }

running() { # the PID file's process is alive and is a redis-server (never a recycled PID)
  local p
  p="$(pid)" || return 1
  [[ "$p" =~ ^[0-9]+$ ]] && kill -0 "$p" 2>/dev/null &&
    [[ "$(cat "/proc/$p/comm" 2>/dev/null)" == redis-server* ]]
}

answers() { # PING, authenticated (the password from the environment, not the command line)
  [[ "$(REDISCLI_AUTH="$(cat "$PASSWORD_FILE")" redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null)" == PONG ]]
}

url() { echo "redis://:$(cat "$PASSWORD_FILE")@127.0.0.1:$PORT/0"; }

start() {
  ensure_server
  if ! running; then
    prepare
    rm -f "$PIDFILE"
    redis-server "$CONF" || { tail -n 20 "$LOG" >&2 || true; die "Redis did not start"; }
  fi
  local deadline=$((SECONDS + 30))
  until answers; do
    if ((SECONDS >= deadline)); then
      tail -n 20 "$LOG" >&2 || true
      die "Redis does not answer on 127.0.0.1:$PORT after 30 s"
    fi
    sleep 0.1
  done
  url
}

stop() {
  running || return 0
  local p deadline=$((SECONDS + 20))
  p="$(pid)"
  kill -TERM "$p"
  while kill -0 "$p" 2>/dev/null; do
    ((SECONDS < deadline)) || { kill -KILL "$p" 2>/dev/null || true; break; }
    sleep 0.1
  done
  rm -f "$PIDFILE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "running: 127.0.0.1:$PORT"; else echo stopped; exit 3; fi ;;
  pid) if running; then pid; else exit 3; fi ;;
  url)
    [[ -s "$PASSWORD_FILE" ]] || prepare
    url
    ;;
  *) die "usage: $0 start|stop|status|pid|url" ;;
esac
