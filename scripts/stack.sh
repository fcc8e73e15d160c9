#!/usr/bin/env bash
# The local Dapr stack, no containers: PostgreSQL, Kafka, the Dapr scheduler and Sentry (the
# certificate authority of the sidecars' mTLS), the app (REPLICAS of it) plus the processors
# recurrence, reminders, audit and notifier, each with its own daprd sidecar, and with more
# than one app replica Redis (scripts/redis.sh), where they keep their Reflex state. The
# notifier mails through TASKFLOW_SMTP_URL when `up` finds it in its environment.
# usage: [REPLICAS=n] scripts/stack.sh up [--fresh] | down | start|restart|pid NAME | status
#        | env | logs [-f] [NAME]
#   up       provision what is missing, start what is not running, wait until every sidecar
#            is healthy (already running: nothing to do). --fresh first drops the stack's
#            database, empties its Kafka topics and the scheduler's jobs. REPLICAS (1 to 9;
#            unset: as many as run now, 1 when none does) app replicas: the first is
#            `taskflow` on PORT, the others taskflow-1, taskflow-2, ... on PORT+1, PORT+2, ...;
#            replicas beyond REPLICAS are stopped, and one started with or without Redis
#            when the other is needed is started again.
#   down     stop everything up started, in reverse order (stopped: nothing to do)
#   start    start one part again, as `up` does, and wait until it answers (running: nothing
#            to do). NAME: postgres, kafka, redis, scheduler, sentry, an app id (taskflow,
#            recurrence, reminders, audit, notifier), an app replica (taskflow-1, ...) or
#            the sidecar of either (taskflow-dapr, taskflow-1-dapr, ...)
#   restart  stop that part (gracefully), then start it
#   pid      the PID of that part's main process (for the fault tests)
#   status   one line per process; exit 3 unless all of them run
#   env      the stack's addresses and tokens as KEY=VALUE lines (for tests and tools);
#            each app's own tokens are <ID>_APP_API_TOKEN and <ID>_DAPR_API_TOKEN; APP_URLS
#            lists the app replicas' addresses, the first's (APP_URL) first
#   logs     the tail of every log, or of one (NAME: taskflow, taskflow-dapr, scheduler, ...)
#   TASKFLOW_STACK_INSTANCE=1 (0 when unset) acts on a second stack, apart from the first and
#   beside it: its own PostgreSQL cluster, Kafka broker, Sentry, scheduler, apps and sidecars,
#   every port of them 1000 higher, its folder .data/stack-1 (Redis alone is shared). The
#   tests run a fault that takes minutes on it while the other stack tests run on the first.
# PIDs, logs, the generated secrets file, the components the sidecars load, the scheduler's
# data and Sentry's certificates are in .data/stack/.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

INSTANCE="${TASKFLOW_STACK_INSTANCE:-0}"
[[ "$INSTANCE" =~ ^[01]$ ]] || die "TASKFLOW_STACK_INSTANCE must be 0 or 1, not '$INSTANCE'"
SHIFT=$((1000 * INSTANCE)) # added to every port of the stack
RUN="$ROOT/.data/stack"
((INSTANCE == 0)) || RUN+="-$INSTANCE"
DB=taskflow_stack
SECRETS="$RUN/secrets.json"
SOURCE_COMPONENTS="$ROOT/dapr-components/self-hosted"
# What the sidecars load: the components above, with this stack's ports and secrets file.
COMPONENTS="$RUN/components"
CONFIG="$COMPONENTS/configuration.yaml"
SENTRY_CONFIG="$ROOT/dapr-components/sentry.yaml"
TRUST_ANCHORS="$RUN/sentry/ca.crt" # made by Sentry on its first start

# --- Ports: the one place they are set -------------------------------------------------
# PostgreSQL 25432 (scripts/postgres.sh) and Kafka 29092/29093 (scripts/kafka.sh) keep
# their own settings, moved by SHIFT below. Dapr's defaults (3500, 50001, 9090, 8080,
# 2379/2380) are avoided where two processes would share them, and nothing else listens
# beyond loopback except the app (HOST, as `make run`). Every port here, in
# scripts/postgres.sh, kafka.sh and redis.sh is below Linux's ephemeral range (32768-60999),
# with either SHIFT: a client retrying a stopped server's port from an ephemeral port can
# otherwise connect to itself and hold that port.
SCHEDULER_PORT=$((20006 + SHIFT))         # gRPC API the sidecars connect to
SCHEDULER_HEALTHZ_PORT=$((28086 + SHIFT)) # GET /healthz
SCHEDULER_METRICS_PORT=$((29196 + SHIFT))
SENTRY_PORT=$((20003 + SHIFT))          # gRPC API the sidecars get their certificates from
SENTRY_HEALTHZ_PORT=$((28087 + SHIFT)) # GET /healthz (Sentry listens for it on every interface)
ETCD_CLIENT_PORT=$((22379 + SHIFT)) # the scheduler's embedded etcd
ETCD_PEER_PORT=$((22380 + SHIFT))
# The app's port is PORT (default 3000): UI and API, as `make run`.
#        app id     app port   daprd HTTP  gRPC   internal gRPC*  metrics
APPS=(
  "taskflow   ${PORT:-3000}  3500  20001  20002  29190"
  "recurrence 3101       3510  20011  20012  29191"
  "reminders  3102       3520  20021  20022  29192"
  "audit      3103       3530  20031  20032  29193"
  "notifier   3104       3540  20041  20042  29194"
)
# *sidecar-to-sidecar (service invocation): also in configuration.yaml's name resolution,
# which resolves `taskflow` to the first replica (the copy in COMPONENTS has them moved by
# SHIFT).
# App replica r (1, 2, ...) is taskflow-r: the first's ports plus r (the app), plus 100*r
# (its sidecar's).
MAX_REPLICAS=9
REPLICA_STEP=100

shift_ports() { # LINE of APPS -> the same with SHIFT added to each port
  local id ports port shifted=()
  read -r id ports <<<"$1"
  for port in $ports; do shifted+=("$((port + SHIFT))"); done
  echo "$id ${shifted[*]}"
}
for i in "${!APPS[@]}"; do APPS[i]="$(shift_ports "${APPS[i]}")"; done
# The cluster and the broker of this stack (scripts/postgres.sh and kafka.sh read these).
export TASKFLOW_PG_PORT=$((${TASKFLOW_PG_PORT:-25432} + SHIFT))
export TASKFLOW_KAFKA_PORT=$((${TASKFLOW_KAFKA_PORT:-29092} + SHIFT))
export TASKFLOW_KAFKA_CONTROLLER_PORT=$((${TASKFLOW_KAFKA_CONTROLLER_PORT:-29093} + SHIFT))

# ---------------------------------------------------------------------------------------

# Every process this script starts carries this in its environment: `down` and `status`
# act only on a PID whose process still has it (never on a recycled PID).
MARK="TASKFLOW_STACK_RUN=$RUN"

# One `up` or `down` at a time (fd 8; the services started are not given it).
lock() {
  mkdir -p "$RUN"
  chmod 700 "$RUN"
  exec 8>"$RUN/.lock"
  flock -w 900 8 || die "another scripts/stack.sh up/down still runs ($RUN/.lock)"
}

pidfile() { echo "$RUN/$1.pid"; }
logfile() { echo "$RUN/$1.log"; }

alive() { # NAME -> is the process of that pidfile ours and running?
  local pid
  pid="$(cat "$(pidfile "$1")" 2>/dev/null)" || return 1
  # Not a pipe into grep -q: under pipefail, tr killed by SIGPIPE once grep found the mark
  # would make a running process look stopped.
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
    grep -qxF "$MARK" < <({ tr '\0' '\n' <"/proc/$pid/environ"; } 2>/dev/null)
}

launch() { # NAME COMMAND... : start in its own session (process group), log to NAME.log
  local name="$1"
  shift
  printf '\n=== %s start: %s\n' "$(date -Is)" "$*" >>"$(logfile "$name")"
  env "$MARK" setsid "$@" >>"$(logfile "$name")" 2>&1 </dev/null 8>&- &
  local pid=$! tries=0
  echo "$pid" >"$(pidfile "$name")"
  # Until the forked shell has exec'd the command, its environment lacks the mark.
  until alive "$name"; do
    if ! kill -0 "$pid" 2>/dev/null || ((++tries >= 100)); then break; fi
    sleep 0.05
  done
}

stop_all() { # NAME...: TERM their process groups at once, KILL what is left after 20 s
  local name pid pids=()
  for name in "$@"; do
    if alive "$name"; then
      pid="$(cat "$(pidfile "$name")")"
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  local deadline=$((SECONDS + 20))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  done
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null && log "pid $pid did not stop in 20 s: killing it"
    # Also what it left behind in its group (e.g. a worker of the app).
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  for name in "$@"; do rm -f "$(pidfile "$name")"; done
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

fail_with_log() { # NAME MESSAGE
  log "---- last lines of $(logfile "$1")"
  tail -n 40 "$(logfile "$1")" >&2 || true
  die "$2"
}

# --- App replicas -----------------------------------------------------------------------

REPLICAS_FILE="$RUN/replicas" # how many app replicas the last `up` ran (none: 1)

recorded_replicas() {
  local count
  count="$(cat "$REPLICAS_FILE" 2>/dev/null)" || count=1
  [[ "$count" =~ ^[1-9][0-9]*$ ]] && ((count <= MAX_REPLICAS)) || count=1
  echo "$count"
}

entries() { # COUNT: the lines of APPS, then one per further app replica, its name first
  local r step name app http grpc internal metrics
  printf '%s\n' "${APPS[@]}"
  read -r name app http grpc internal metrics <<<"${APPS[0]}"
  for ((r = 1; r < $1; r++)); do
    step=$((REPLICA_STEP * r))
    echo "$name-$r $((app + r)) $((http + step)) $((grpc + step)) $((internal + step)) $((metrics + step))"
  done
}

app_id_of() { # NAME of an app or app replica -> its Dapr app id
  if [[ "$1" =~ ^(.+)-[0-9]+$ ]]; then echo "${BASH_REMATCH[1]}"; else echo "$1"; fi
}

replica_names() { # the app replicas of ENTRIES
  local entry
  for entry in "${ENTRIES[@]}"; do
    [[ "$(app_id_of "${entry%% *}")" == taskflow ]] && echo "${entry%% *}"
  done
  return 0
}

with_redis() { # NAME: 1 if that running app replica keeps its Reflex state in Redis, else 0
  local pid
  pid="$(cat "$(pidfile "$1")")"
  if grep -q '^REFLEX_REDIS_URL=.' < <({ tr '\0' '\n' <"/proc/$pid/environ"; } 2>/dev/null); then
    echo 1
  else
    echo 0
  fi
}

check_ports() { # no two parts of the stack on one port
  local -A owner=(
    [$SCHEDULER_PORT]=scheduler [$SCHEDULER_HEALTHZ_PORT]=scheduler
    [$SCHEDULER_METRICS_PORT]=scheduler [$ETCD_CLIENT_PORT]=scheduler
    [$ETCD_PEER_PORT]=scheduler [$SENTRY_PORT]=sentry [$SENTRY_HEALTHZ_PORT]=sentry
  )
  local entry name app http grpc internal metrics port
  for entry in "${ENTRIES[@]}"; do
    read -r name app http grpc internal metrics <<<"$entry"
    for port in "$app" "$http" "$grpc" "$internal" "$metrics"; do
      [[ -z "${owner[$port]:-}" ]] ||
        die "port $port would be both ${owner[$port]}'s and $name's (PORT=${PORT:-3000}, TASKFLOW_STACK_INSTANCE=$INSTANCE, REPLICAS=$COUNT)"
      owner[$port]="$name"
    done
  done
}

# --- Settings derived from scripts/postgres.sh and scripts/kafka.sh ---------------------

pg_settings() { # -> PG_URL (SQLAlchemy URL of the stack's database, as its owner, the
  # migrator), PG_DSN (pgx form, as the runtime role: what the sidecars connect with)
  local migrator runtime
  migrator="$("$ROOT/scripts/postgres.sh" url taskflow_migrator)"
  runtime="$("$ROOT/scripts/postgres.sh" url taskflow_runtime)"
  eval "$(
    python3 - "$migrator" "$runtime" "$DB" <<'PY'
import shlex, sys
from urllib.parse import unquote, urlsplit

migrator, runtime, db = sys.argv[1], sys.argv[2], sys.argv[3]
u = urlsplit(runtime)
user, password = unquote(u.username or ""), unquote(u.password or "")
host, port = u.hostname or "127.0.0.1", u.port or 5432

def kv(value: str) -> str:  # a libpq/pgx keyword value, quoted when it must be
    if value and not any(c in value for c in " '\\"):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

dsn = f"host={host} port={port} user={kv(user)} password={kv(password)} dbname={db}"
dsn += " sslmode=disable"
print("PG_URL=" + shlex.quote(urlsplit(migrator)._replace(path="/" + db).geturl()))
print("PG_DSN=" + shlex.quote(dsn))
PY
  )"
}

database() { # create the stack's database (anew with --fresh), owned by the migrator role;
  # migrate it as that role, which grants the runtime role row access (alembic/env.py)
  local fresh="$1"
  "$ROOT/scripts/postgres.sh" database "$DB" $( ((fresh)) && echo --fresh) >>"$(logfile migrate)" 2>&1 ||
    fail_with_log migrate "could not make the database $DB"
  # The one step that sees a database URL: the processes of the stack never do.
  TASKFLOW_DATABASE_URL="$PG_URL" TASKFLOW_DATABASE_RUNTIME_ROLE=taskflow_runtime \
    "$ROOT/.venv/bin/alembic" upgrade head >>"$(logfile migrate)" 2>&1 ||
    fail_with_log migrate "alembic upgrade head failed on $DB"
}

write_secrets() { # the local-file secret store of the sidecars (mode 0600)
  local entry ids=()
  for entry in "${APPS[@]}"; do ids+=("${entry%% *}"); done
  PG_DSN="$PG_DSN" KAFKA_BROKERS="$KAFKA_BOOTSTRAP" python3 - "$SECRETS" "${ids[@]}" <<'PY'
import json, os, secrets, sys

path, ids = sys.argv[1], sys.argv[2:]
try:
    with open(path) as f:
        old = json.load(f)
except (OSError, ValueError):
    old = {}
tokens = old.get("taskflow-api-tokens") or {}
data = {
    "taskflow-secrets": {
        "pg-connection-string": os.environ["PG_DSN"],
        "kafka-brokers": os.environ["KAFKA_BROKERS"],
    },
    # Two tokens per app, generated once and kept across restarts: <id>-app-api-token (its
    # sidecar sends it to the app) and <id>-dapr-api-token (the app sends it to its sidecar).
    "taskflow-api-tokens": {
        f"{app}-{kind}-api-token": tokens.get(f"{app}-{kind}-api-token")
        or secrets.token_urlsafe(32)
        for app in ids
        for kind in ("app", "dapr")
    },
}
# The app's own secret (app/adapters/dapr/secrets.py), the only one it may read.
if os.environ.get("GEMINI_API_KEY"):
    data["taskflow-gemini-api-key"] = {"value": os.environ["GEMINI_API_KEY"]}
tmp = path + ".tmp"
fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as f:
    json.dump(data, f, indent=2)
os.replace(tmp, path)
PY
  read_tokens
}

declare -A TOKENS # "<id>-app" and "<id>-dapr" -> token

read_tokens() { # -> TOKENS
  [[ -f "$SECRETS" ]] || return 1
  local key value
  while IFS='=' read -r key value; do
    TOKENS["$key"]="$value"
  done < <(python3 - "$SECRETS" <<'PY'
import json, sys

for name, token in json.load(open(sys.argv[1]))["taskflow-api-tokens"].items():
    print(name.removesuffix("-api-token") + "=" + token)
PY
  )
  local entry
  for entry in "${APPS[@]}"; do
    [[ -n "${TOKENS[${entry%% *}-app]:-}" && -n "${TOKENS[${entry%% *}-dapr]:-}" ]] ||
      die "$SECRETS lacks the tokens of ${entry%% *}: run scripts/stack.sh up"
  done
}

write_components() { # COMPONENTS: the source's, with this stack's secrets file and ports;
  # the name resolution of its configuration.yaml must resolve every app id to its port.
  local entry id internal tmp="$COMPONENTS.tmp" secrets="${SECRETS#"$ROOT/"}"
  rm -rf "$tmp"
  cp -r "$SOURCE_COMPONENTS" "$tmp"
  sed -i "s|value: \.data/stack/secrets\.json\$|value: $secrets|" "$tmp/secretstores.yaml"
  grep -qF "value: $secrets" "$tmp/secretstores.yaml" ||
    die "$SOURCE_COMPONENTS/secretstores.yaml does not read .data/stack/secrets.json"
  for entry in "${APPS[@]}"; do
    read -r id _ _ _ internal _ <<<"$entry"
    grep -qF "eq .ID \"$id\"}}$((internal - SHIFT)){{" "$tmp/configuration.yaml" ||
      die "$SOURCE_COMPONENTS/configuration.yaml does not resolve $id to 127.0.0.1:$((internal - SHIFT)) (name resolution template)"
    sed -i "s|eq .ID \"$id\"}}$((internal - SHIFT)){{|eq .ID \"$id\"}}$internal{{|" "$tmp/configuration.yaml"
  done
  rm -rf "$COMPONENTS"
  mv "$tmp" "$COMPONENTS"
}

# --- Processes --------------------------------------------------------------------------

start_scheduler() {
  alive scheduler && return
  local data="$RUN/scheduler"
  mkdir -p "$data"
  chmod 700 "$data"
  launch scheduler "$DAPR_BIN/scheduler" \
    --listen-address 127.0.0.1 --port "$SCHEDULER_PORT" \
    --override-broadcast-host-port "127.0.0.1:$SCHEDULER_PORT" \
    --healthz-listen-address 127.0.0.1 --healthz-port "$SCHEDULER_HEALTHZ_PORT" \
    --metrics-listen-address 127.0.0.1 --metrics-port "$SCHEDULER_METRICS_PORT" \
    --etcd-data-dir "$data" \
    --etcd-client-listen-address 127.0.0.1 --etcd-client-port "$ETCD_CLIENT_PORT" \
    --etcd-initial-cluster "dapr-scheduler-server-0=http://127.0.0.1:$ETCD_PEER_PORT" \
    --tls-enabled --sentry-address "127.0.0.1:$SENTRY_PORT" --trust-anchors-file "$TRUST_ANCHORS" \
    --log-level info
}

wait_healthy() { # NAME HEALTHZ_PORT: until the control-plane part answers /healthz (60 s)
  local deadline=$((SECONDS + 60))
  until curl -fsS -o /dev/null "http://127.0.0.1:$2/healthz" 2>/dev/null; do
    alive "$1" || fail_with_log "$1" "$1 exited"
    ((SECONDS < deadline)) || fail_with_log "$1" "$1 is not healthy after 60 s"
    sleep 0.3
  done
}

start_sentry() {
  alive sentry && return
  mkdir -p "$RUN/sentry"
  chmod 700 "$RUN/sentry"
  # On its first start Sentry makes its certificates, then restarts its servers (more than
  # once) as it notices them: that start is a run of its own, stopped once they exist.
  if [[ ! -s "$TRUST_ANCHORS" ]]; then
    launch_sentry
    local deadline=$((SECONDS + 60)) file
    for file in ca.crt issuer.crt issuer.key; do
      until [[ -s "$RUN/sentry/$file" ]]; do
        alive sentry || fail_with_log sentry "Sentry exited before it made its certificates"
        ((SECONDS < deadline)) || fail_with_log sentry "Sentry made no certificates in 60 s"
        sleep 0.2
      done
    done
    sleep 1
    stop_all sentry
  fi
  launch_sentry
}

launch_sentry() {
  launch sentry "$DAPR_BIN/sentry" \
    --config "$SENTRY_CONFIG" --issuer-credentials "$RUN/sentry" \
    --listen-address 127.0.0.1 --port "$SENTRY_PORT" \
    --healthz-port "$SENTRY_HEALTHZ_PORT" --enable-metrics=false \
    --log-level info
}

app_env() { # HTTP_PORT GRPC_PORT [VARIABLE...]: the environment of an app or processor
  # process, without the VARIABLEs.
  # The reconciliation sweep runs often here, so that what a fault left behind is repaired
  # within seconds (the fault tests count on it).
  local http="$1" grpc="$2" variable unset=()
  shift 2
  for variable in "$@"; do unset+=(-u "$variable"); done
  echo env -u TASKFLOW_DATABASE_URL -u DATABASE_URL -u TASKFLOW_TEST_POSTGRES_URL "${unset[@]}" \
    TASKFLOW_RUNTIME=dapr DAPR_HTTP_PORT="$http" DAPR_GRPC_PORT="$grpc" \
    DAPR_HEALTH_TIMEOUT="${TASKFLOW_STACK_TIMEOUT:-300}" PYTHONUNBUFFERED=1 \
    TASKFLOW_RECONCILE_SECONDS="${TASKFLOW_RECONCILE_SECONDS:-10}"
}

start_sidecar() { # NAME APP_PORT HTTP GRPC INTERNAL METRICS
  local name="$1" id
  id="$(app_id_of "$name")"
  alive "$name-dapr" && return
  for port in "$3" "$4" "$5" "$6"; do
    listening "$port" && die "port $port (daprd of $name) is taken by another process"
  done
  # The app's own tokens, from the environment (not on a command line): APP_API_TOKEN (sent
  # to the app) and DAPR_API_TOKEN (required from it).
  local -x APP_API_TOKEN="${TOKENS[$id-app]}" DAPR_API_TOKEN="${TOKENS[$id-dapr]}"
  # What Dapr puts in place of {podName} in component metadata: each app replica's own
  # consumer group of the live feed (live.yaml).
  local -x POD_NAME="$name"
  # mTLS between the sidecars, with an identity from Sentry: what access control checks.
  local -x DAPR_TRUST_ANCHORS
  DAPR_TRUST_ANCHORS="$(cat "$TRUST_ANCHORS")"
  launch "$name-dapr" "$DAPR_BIN/daprd" \
    --app-id "$id" --app-port "$2" --app-protocol http --app-channel-address 127.0.0.1 \
    --dapr-listen-addresses 127.0.0.1 \
    --dapr-http-port "$3" --dapr-grpc-port "$4" \
    --dapr-internal-grpc-port "$5" --dapr-internal-grpc-listen-address 127.0.0.1 \
    --metrics-port "$6" --metrics-listen-address 127.0.0.1 \
    --resources-path "$COMPONENTS" --config "$CONFIG" \
    --scheduler-host-address "127.0.0.1:$SCHEDULER_PORT" \
    --enable-mtls --sentry-address "127.0.0.1:$SENTRY_PORT" \
    --log-level info
}

start_app() { # NAME APP_PORT HTTP GRPC
  local name="$1" id cmd
  id="$(app_id_of "$name")"
  alive "$name" && return
  listening "$2" && die "port $2 (app $name) is taken by another process"
  # Its own tokens, as its sidecar has them (start_sidecar).
  local -x APP_API_TOKEN="${TOKENS[$id-app]}" DAPR_API_TOKEN="${TOKENS[$id-dapr]}"
  if [[ "$id" != taskflow ]]; then
    # shellcheck disable=SC2207 # words of a fixed command line
    cmd=($(app_env "$3" "$4"))
    launch "$name" "${cmd[@]}" HOST=127.0.0.1 PORT="$2" "$ROOT/.venv/bin/python" -m processors "$id"
    return
  fi
  # With more than one replica their Reflex state is in Redis (the URL from the environment,
  # not on a command line), with one it is in the process.
  local -x REFLEX_REDIS_URL
  if ((COUNT > 1)); then
    REFLEX_REDIS_URL="$("$ROOT/scripts/redis.sh" url)"
    # shellcheck disable=SC2207
    cmd=($(app_env "$3" "$4"))
  else
    # shellcheck disable=SC2207
    cmd=($(app_env "$3" "$4" REFLEX_REDIS_URL))
  fi
  # Every replica compiles its pages into a folder of its own, apart from `make run`'s: the
  # compiled pages connect to the port of the server that compiled them, and a build empties
  # the folder a running server serves them from. The folder is in the cache, kept from run
  # to run: the pages are built again only when the code changes (scripts/run.sh).
  # The app as `make run` starts it, minus the migration (done above, with the URL), in one
  # process: its sidecar delivers the replica's live feed to that process alone.
  launch "$name" "${cmd[@]}" REFLEX_WEB_WORKDIR="$CACHE/web/${RUN##*/}-$name" \
    TASKFLOW_SKIP_MIGRATIONS=1 \
    PORT="$2" WORKERS=1 "$ROOT/scripts/run.sh"
}

wait_sidecar() { # NAME HTTP: GET /v1.0/healthz (healthy once the app answers too)
  local id="$1" deadline=$((SECONDS + ${TASKFLOW_STACK_TIMEOUT:-300}))
  until curl -fsS -o /dev/null "http://127.0.0.1:$2/v1.0/healthz" 2>/dev/null; do
    alive "$id-dapr" || fail_with_log "$id-dapr" "the sidecar of $id exited"
    alive "$id" || fail_with_log "$id" "$id exited"
    if ((SECONDS >= deadline)); then
      log "---- last lines of $(logfile "$id")"
      tail -n 20 "$(logfile "$id")" >&2 || true
      fail_with_log "$id-dapr" "the sidecar of $id is not healthy after ${TASKFLOW_STACK_TIMEOUT:-300} s"
    fi
    sleep 0.5
  done
}

wait_app() { # NAME APP_PORT: GET /health/ready of the app or processor itself
  local id="$1" deadline=$((SECONDS + ${TASKFLOW_STACK_TIMEOUT:-300}))
  until curl -fsS -o /dev/null "http://127.0.0.1:$2/health/ready" 2>/dev/null; do
    alive "$id" || fail_with_log "$id" "$id exited"
    ((SECONDS < deadline)) || fail_with_log "$id" "$id is not ready after ${TASKFLOW_STACK_TIMEOUT:-300} s"
    sleep 0.5
  done
}

all_names() { # in start order
  echo scheduler
  echo sentry
  local entry
  for entry in "${ENTRIES[@]}"; do
    echo "${entry%% *}-dapr" "${entry%% *}"
  done
}

# --- Commands ---------------------------------------------------------------------------

up() {
  local fresh=0 started=$SECONDS
  case "${1:-}" in
    --fresh) fresh=1 ;;
    "") ;;
    *) die "usage: $0 up [--fresh]" ;;
  esac
  lock
  write_components

  if ((!fresh)) && converged; then
    log "the stack is already running (scripts/stack.sh status)"
    return 0
  fi
  ((fresh)) && down

  "$ROOT/scripts/bootstrap.sh"
  DAPR_BIN="$("$ROOT/scripts/dapr.sh")"
  ((fresh)) && rm -rf "$RUN/scheduler"

  pg_settings
  KAFKA_BOOTSTRAP="$("$ROOT/scripts/kafka.sh" bootstrap)"
  write_secrets

  # Redis for the app replicas' state, before them; Redis is shared with other tools too.
  if ((COUNT > 1)); then
    "$ROOT/scripts/redis.sh" status >/dev/null 2>&1 || touch "$RUN/redis.ours"
    "$ROOT/scripts/redis.sh" start >/dev/null 8>&-
    ln -sfn "$CACHE/redis/server.log" "$RUN/redis.log"
  fi
  echo "$COUNT" >"$REPLICAS_FILE"
  scale

  # The apps first: the app's production build is the longest step of all, and the apps
  # reach nothing but their sidecars, which they wait for (the Dapr SDK's
  # DAPR_HEALTH_TIMEOUT); the sidecars start once the database and Kafka are ready.
  local entry name app http grpc internal metrics
  for entry in "${ENTRIES[@]}"; do
    read -r name app http grpc _ <<<"$entry"
    start_app "$name" "$app" "$http" "$grpc"
  done

  # PostgreSQL and Kafka are shared with other tools: `down` stops them only if `up`
  # started them. Kafka (a JVM: seconds to start) starts while PostgreSQL starts and the
  # database is migrated.
  "$ROOT/scripts/kafka.sh" status >/dev/null 2>&1 || touch "$RUN/kafka.ours"
  "$ROOT/scripts/kafka.sh" start >/dev/null 8>&- &
  local kafka=$!
  "$ROOT/scripts/postgres.sh" status >/dev/null 2>&1 || touch "$RUN/postgres.ours"
  "$ROOT/scripts/postgres.sh" start >/dev/null 8>&-
  ln -sfn "$("$ROOT/scripts/postgres.sh" logfile)" "$RUN/postgres.log"
  database "$fresh"

  wait "$kafka" || die "Kafka did not start (scripts/kafka.sh start)"
  ln -sfn "$("$ROOT/scripts/kafka.sh" logfile)" "$RUN/kafka.log"
  ((fresh)) && "$ROOT/scripts/kafka.sh" reset >/dev/null

  # Sentry first: the scheduler, like the sidecars, takes its mTLS identity from it.
  start_sentry
  wait_healthy sentry "$SENTRY_HEALTHZ_PORT"
  start_scheduler
  wait_healthy scheduler "$SCHEDULER_HEALTHZ_PORT"
  for entry in "${ENTRIES[@]}"; do
    read -r name app http grpc internal metrics <<<"$entry"
    start_sidecar "$name" "$app" "$http" "$grpc" "$internal" "$metrics"
  done
  for entry in "${ENTRIES[@]}"; do
    read -r name app http _ <<<"$entry"
    wait_sidecar "$name" "$http"
    # An app started again next to a running sidecar (scale) is not awaited by it.
    wait_app "$name" "$app"
  done
  ((COUNT > 1)) || stop_ours redis
  log "stack up in $((SECONDS - started)) s: app $(app_urls), logs in $RUN"
  status
}

scale() { # stop the app replicas beyond COUNT, and those started with Redis when COUNT needs
  # none, or without it when COUNT needs it, each with its sidecar (`up` starts them again)
  local r name stray=()
  for ((r = COUNT; r < MAX_REPLICAS; r++)); do stray+=("taskflow-$r"); done
  while read -r name; do
    if alive "$name" && (($(with_redis "$name") != (COUNT > 1))); then
      log "$name: starting it again, to keep its state $( ((COUNT > 1)) && echo in Redis || echo in itself)"
      # With its sidecar, so the replica starts afresh: deliveries the sidecar kept retrying
      # while the app was away must not hold up the live feed for as long as their backoff.
      stray+=("$name")
    fi
  done < <(replica_names)
  # The sidecars first, as in `down`.
  stop_all "${stray[@]/%/-dapr}"
  stop_all "${stray[@]}"
}

converged() { # every part runs, as many app replicas as COUNT, each with Redis as it needs
  local r name
  status >/dev/null 2>&1 || return 1
  for ((r = COUNT; r < MAX_REPLICAS; r++)); do
    ! alive "taskflow-$r" && ! alive "taskflow-$r-dapr" || return 1
  done
  while read -r name; do
    (($(with_redis "$name") == (COUNT > 1))) || return 1
  done < <(replica_names)
  ((COUNT > 1)) || [[ ! -f "$RUN/redis.ours" ]]
}

down() {
  local entry name apps=() sidecars=() r
  for entry in "${APPS[@]}"; do
    name="${entry%% *}"
    apps+=("$name") sidecars+=("$name-dapr")
  done
  for ((r = 1; r < MAX_REPLICAS; r++)); do
    apps+=("taskflow-$r") sidecars+=("taskflow-$r-dapr")
  done
  # The sidecars first: each delivers what it has in flight to its app, still up, and leaves
  # its Kafka consumer groups (a sidecar that cannot deliver is killed after its grace period
  # and leaves a member behind, which holds up the group's next start for its session
  # timeout). Then the rest side by side, Redis last (the apps keep their UI state in it).
  stop_all "${sidecars[@]}"
  local part
  stop_all "${apps[@]}" sentry scheduler &
  for part in kafka postgres; do stop_ours "$part" & done
  wait
  stop_ours redis
  rm -f "$REPLICAS_FILE"
}

stop_ours() { # redis|kafka|postgres: stopped if `up` started it (it may be shared)
  [[ -f "$RUN/$1.ours" ]] || return 0
  "$ROOT/scripts/$1.sh" stop
  rm -f "$RUN/$1.ours"
}

app_entry() { # NAME -> its line of ENTRIES, or fail
  local entry
  for entry in "${ENTRIES[@]}"; do
    [[ "${entry%% *}" == "$1" ]] && { echo "$entry"; return; }
  done
  die "no part named $1 (postgres, kafka, redis, scheduler, sentry, ${ENTRIES[*]%% *}, or one of these with -dapr)"
}

start_one() { # NAME: start one part as `up` does; wait until it answers
  local name="$1" entry app http grpc internal metrics tries=0
  case "$name" in
    postgres)
      # After a crash the old server's processes may still hold its shared memory for a
      # moment: PostgreSQL refuses to start until they are gone.
      until "$ROOT/scripts/postgres.sh" start >/dev/null 8>&-; do
        ((++tries < 30)) || die "PostgreSQL did not start again"
        sleep 1
      done
      ;;
    kafka) "$ROOT/scripts/kafka.sh" start >/dev/null 8>&- ;;
    redis) "$ROOT/scripts/redis.sh" start >/dev/null 8>&- ;;
    scheduler)
      DAPR_BIN="$("$ROOT/scripts/dapr.sh")"
      mkdir -p "$RUN/scheduler"
      start_scheduler
      wait_healthy scheduler "$SCHEDULER_HEALTHZ_PORT"
      ;;
    sentry)
      DAPR_BIN="$("$ROOT/scripts/dapr.sh")"
      start_sentry
      wait_healthy sentry "$SENTRY_HEALTHZ_PORT"
      ;;
    *)
      entry="$(app_entry "${name%-dapr}")"
      read -r name app http grpc internal metrics <<<"$entry"
      read_tokens || die "no $SECRETS: run scripts/stack.sh up first"
      if [[ "$1" == *-dapr ]]; then
        DAPR_BIN="$("$ROOT/scripts/dapr.sh")"
        write_components
        start_sidecar "$name" "$app" "$http" "$grpc" "$internal" "$metrics"
        wait_sidecar "$name" "$http"
      else
        start_app "$name" "$app" "$http" "$grpc"
        wait_app "$name" "$app"
      fi
      ;;
  esac
}

stop_one() { # NAME
  case "$1" in
    postgres) "$ROOT/scripts/postgres.sh" stop ;;
    kafka) "$ROOT/scripts/kafka.sh" stop ;;
    redis) "$ROOT/scripts/redis.sh" stop ;;
    scheduler | sentry) stop_all "$1" ;;
    *)
      app_entry "${1%-dapr}" >/dev/null
      stop_all "$1"
      ;;
  esac
}

pid_of() { # NAME
  case "$1" in
    postgres) "$ROOT/scripts/postgres.sh" pid ;;
    kafka) "$ROOT/scripts/kafka.sh" pid ;;
    redis) "$ROOT/scripts/redis.sh" pid ;;
    *)
      [[ "$1" == scheduler || "$1" == sentry ]] || app_entry "${1%-dapr}" >/dev/null
      alive "$1" || die "$1 is not running"
      cat "$(pidfile "$1")"
      ;;
  esac
}

status() {
  local ok=0 name
  while read -r name; do
    if alive "$name"; then
      printf '%-16s running (pid %s)\n' "$name" "$(cat "$(pidfile "$name")")"
    else
      printf '%-16s stopped\n' "$name"
      ok=3
    fi
  done < <(all_names | tr ' ' '\n')
  "$ROOT/scripts/postgres.sh" status | sed 's/^/postgres         /' || ok=3
  "$ROOT/scripts/kafka.sh" status | sed 's/^/kafka            /' || ok=3
  if ((COUNT > 1)); then
    "$ROOT/scripts/redis.sh" status | sed 's/^/redis            /' || ok=3
  fi
  return "$ok"
}

app_urls() { # the app replicas' addresses, the first's first
  local entry app urls=()
  for entry in "${ENTRIES[@]}"; do
    [[ "$(app_id_of "${entry%% *}")" == taskflow ]] || continue
    read -r _ app _ <<<"$entry"
    urls+=("http://127.0.0.1:$app")
  done
  echo "${urls[*]}"
}

print_env() {
  local entry id app http grpc
  echo "TASKFLOW_STACK_DIR=$RUN"
  pg_settings
  echo "TASKFLOW_STACK_DATABASE_URL=$PG_URL"
  local urls
  urls="$(app_urls)"
  echo "APP_URL=${urls%% *}"
  echo "APP_URLS=$urls"
  echo "KAFKA_BOOTSTRAP=$("$ROOT/scripts/kafka.sh" bootstrap)"
  echo "SCHEDULER_ADDRESS=127.0.0.1:$SCHEDULER_PORT"
  for entry in "${APPS[@]}"; do
    read -r id app http grpc _ <<<"$entry"
    id="${id^^}"
    echo "${id}_APP_URL=http://127.0.0.1:$app"
    echo "${id}_DAPR_HTTP_URL=http://127.0.0.1:$http"
    echo "${id}_DAPR_GRPC_ADDRESS=127.0.0.1:$grpc"
  done
  if (read_tokens) 2>/dev/null; then
    read_tokens
    for entry in "${APPS[@]}"; do
      read -r id _ <<<"$entry"
      echo "${id^^}_APP_API_TOKEN=${TOKENS[$id-app]}"
      echo "${id^^}_DAPR_API_TOKEN=${TOKENS[$id-dapr]}"
    done
  fi
}

logs() {
  local follow=0
  [[ "${1:-}" == -f ]] && { follow=1; shift; }
  if [[ -n "${1:-}" ]]; then
    [[ -e "$(logfile "$1")" ]] || die "no log $(logfile "$1")"
    if ((follow)); then exec tail -F "$(logfile "$1")"; fi
    tail -n "${LINES_SHOWN:-100}" "$(logfile "$1")"
    return
  fi
  local f
  for f in "$RUN"/*.log; do
    [[ -e "$f" ]] || continue
    printf '==> %s <==\n' "$f"
    tail -n 15 "$f"
    echo
  done
}

# How many app replicas: REPLICAS for `up` (unset: as many as run), the running ones otherwise.
COUNT="$(recorded_replicas)"
if [[ "${1:-}" == up && -n "${REPLICAS:-}" ]]; then
  COUNT="$REPLICAS"
  [[ "$COUNT" =~ ^[1-9][0-9]*$ ]] && ((COUNT <= MAX_REPLICAS)) ||
    die "REPLICAS must be a number from 1 to $MAX_REPLICAS, not '$REPLICAS'"
fi
mapfile -t ENTRIES < <(entries "$COUNT")
check_ports

case "${1:-}" in
  up) shift; up "$@" ;;
  down) lock; down ;;
  start | restart)
    [[ $# == 2 ]] || die "usage: $0 $1 NAME"
    lock
    [[ "$1" == start ]] || stop_one "$2"
    start_one "$2"
    ;;
  pid)
    [[ $# == 2 ]] || die "usage: $0 pid NAME"
    pid_of "$2"
    ;;
  status) status ;;
  env) print_env ;;
  logs) shift; logs "$@" ;;
  *) die "usage: $0 up [--fresh] | down | start|restart|pid NAME | status | env | logs [-f] [NAME]" ;;
esac
