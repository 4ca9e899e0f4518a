# Shared by deploy/local/up and deploy/local/down (sourced, not run).
# shellcheck shell=bash disable=SC2034

BERTH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DATA_DIR=${BERTH_DATA_DIR:-$BERTH_ROOT/.berth-local}
case "$DATA_DIR" in
  /*) ;;
  *) DATA_DIR=$PWD/$DATA_DIR ;;
esac
PG_PORT=${BERTH_PG_PORT:-5433}
HTTP_PORT=${BERTH_HTTP_PORT:-5000}
TOKEN_PORT=${BERTH_TOKEN_PORT:-5001}
CATALOG_PORT=${BERTH_CATALOG_PORT:-5002}
GC_PORT=${BERTH_GC_PORT:-5003}
KC_PORT=${BERTH_KEYCLOAK_PORT:-8180}
# --s3: S3Proxy's port and the bucket of blobs; --replicas N (N > 1): the Infinispan server's port
S3_PORT=${BERTH_S3_PORT:-5004}
S3_BUCKET=${BERTH_S3_BUCKET:-berth}
ISPN_PORT=${BERTH_INFINISPAN_PORT:-11222}
# replica i (1..N) of registry-api listens on HTTP_PORT + REPLICA_PORT_STEP * (i - 1): 5000, 5010, 5020, ...
REPLICA_PORT_STEP=10
# the event-bus cluster (Hazelcast) of registry-api, catalog-service and gc-worker (berth.cluster.*)
CLUSTER_NAME=${BERTH_CLUSTER_NAME:-berth}
CLUSTER_PORT=${BERTH_CLUSTER_PORT:-5701}
CLUSTER_PORT_COUNT=${BERTH_CLUSTER_PORT_COUNT:-10}
# JVM options of registry-api (split at spaces). The heap bound keeps the process near 0.35 GiB: unbounded,
# the JVM takes a quarter of the machine's memory and fills it with the garbage of large uploads.
API_JAVA_OPTS=${BERTH_API_JAVA_OPTS:--Xmx256m}
read -r -a API_JAVA_ARGS <<< "$API_JAVA_OPTS"
# JVM options of catalog-service (split at spaces)
CATALOG_JAVA_OPTS=${BERTH_CATALOG_JAVA_OPTS:--Xmx256m}
read -r -a CATALOG_JAVA_ARGS <<< "$CATALOG_JAVA_OPTS"
# JVM options of gc-worker (split at spaces)
GC_JAVA_OPTS=${BERTH_GC_JAVA_OPTS:--Xmx256m}
read -r -a GC_JAVA_ARGS <<< "$GC_JAVA_OPTS"

RUN_DIR=$DATA_DIR/run
LOG_DIR=$DATA_DIR/logs
PG_DATA=$DATA_DIR/postgres
STORAGE_DIR=$DATA_DIR/storage
PG_PID_FILE=$RUN_DIR/postgres.pid
API_PID_FILE=$RUN_DIR/registry-api.pid
PG_LOG=$LOG_DIR/postgres.log
API_LOG=$LOG_DIR/registry-api.log
TOKEN_PID_FILE=$RUN_DIR/token-service.pid
TOKEN_LOG=$LOG_DIR/token-service.log
CATALOG_PID_FILE=$RUN_DIR/catalog-service.pid
CATALOG_LOG=$LOG_DIR/catalog-service.log
GC_PID_FILE=$RUN_DIR/gc-worker.pid
GC_LOG=$LOG_DIR/gc-worker.log
KC_PID_FILE=$RUN_DIR/keycloak.pid
KC_LOG=$LOG_DIR/keycloak.log
S3_DIR=$DATA_DIR/s3
S3_PID_FILE=$RUN_DIR/s3proxy.pid
S3_SERVER_PID_FILE=$RUN_DIR/s3proxy-server.pid
S3_LOG=$LOG_DIR/s3proxy.log
S3_SERVER_LOG=$LOG_DIR/s3proxy-server.log
ISPN_DIR=$DATA_DIR/infinispan
ISPN_PID_FILE=$RUN_DIR/infinispan.pid
ISPN_SERVER_PID_FILE=$RUN_DIR/infinispan-server.pid
ISPN_LOG=$LOG_DIR/infinispan.log
ISPN_SERVER_LOG=$LOG_DIR/infinispan-server.log
# the options of the stack that runs (storage=... replicas=...), written by up, removed by down
STATE_FILE=$RUN_DIR/stack
# which store the data folder's database refers to (filesystem or s3): a database never meets the other store
STORAGE_KIND_FILE=$DATA_DIR/storage-kind
# the built-in admin account's password when REGISTRY_ADMIN_PASSWORD is not set (generated once, mode 600)
ADMIN_PASSWORD_FILE=$DATA_DIR/admin-password
# marks a folder that up created, so that down --purge never deletes anything else
DATA_MARKER=$DATA_DIR/.berth-data

# What each pid file's process must have on its command line (guards against reused pids).
PG_MARK=dev.berth.devtools.postgres.EmbeddedPostgresLauncher
API_MARK=registry-api/target/quarkus-app/quarkus-run.jar
TOKEN_MARK=token-service/target/quarkus-app/quarkus-run.jar
CATALOG_MARK=catalog-service/target/quarkus-app/quarkus-run.jar
GC_MARK=gc-worker/target/quarkus-app/quarkus-run.jar
KC_MARK=dev.berth.devtools.keycloak.KeycloakServer
S3_MARK=dev.berth.devtools.s3.S3ProxyLauncher
S3_SERVER_MARK=s3proxy.jar
ISPN_MARK=dev.berth.devtools.infinispan.InfinispanLauncher
ISPN_SERVER_MARK=org.infinispan.server.Bootstrap

# Replica i (1..N) of registry-api: its pid file, log and port. Replica 1 keeps the names of a single registry-api.
api_pid_file() { if [ "$1" = 1 ]; then printf '%s' "$RUN_DIR/registry-api.pid"; else printf '%s' "$RUN_DIR/registry-api-$1.pid"; fi; }
api_log() { if [ "$1" = 1 ]; then printf '%s' "$LOG_DIR/registry-api.log"; else printf '%s' "$LOG_DIR/registry-api-$1.log"; fi; }
api_port() { printf '%s' $((HTTP_PORT + REPLICA_PORT_STEP * ($1 - 1))); }

say() { printf '%s\n' "$*"; }
warn() { printf '%s\n' "$*" >&2; }

# cmdline_of PID: the process's command line, or nothing.
cmdline_of() {
  if [ -r "/proc/$1/cmdline" ]; then
    tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null || true
  else
    ps -o args= -p "$1" 2>/dev/null || true
  fi
}

# pid_alive PID MARK: true if PID runs and its command line contains MARK.
pid_alive() {
  [ -n "$1" ] || return 1
  kill -0 "$1" 2>/dev/null || return 1
  case "$(cmdline_of "$1")" in
    *"$2"*) return 0 ;;
    *) return 1 ;;
  esac
}

# running_pid PIDFILE MARK: prints the pid recorded in PIDFILE if that process is alive.
running_pid() {
  local pid
  [ -f "$1" ] || return 1
  pid=$(tr -dc '0-9' < "$1")
  pid_alive "$pid" "$2" || return 1
  printf '%s\n' "$pid"
}

# postmaster_pid: pid of a PostgreSQL server still running on PG_DATA (for example left behind by a
# launcher that was killed with SIGKILL), or nothing.
postmaster_pid() {
  local pid
  [ -f "$PG_DATA/postmaster.pid" ] || return 1
  pid=$(head -n 1 "$PG_DATA/postmaster.pid" | tr -dc '0-9')
  pid_alive "$pid" postgres || return 1
  printf '%s\n' "$pid"
}

# wait_gone PID SECONDS: true once PID has exited, false if it still runs after SECONDS.
wait_gone() {
  local pid=$1 deadline=$((SECONDS + $2))
  while kill -0 "$pid" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# stop_pid NAME PID SIGNAL SECONDS: SIGNAL, wait up to SECONDS, then SIGKILL.
stop_pid() {
  local name=$1 pid=$2 signal=$3 bound=$4
  say "Stopping $name (pid $pid) ..."
  kill "-$signal" "$pid" 2>/dev/null || true
  if ! wait_gone "$pid" "$bound"; then
    warn "$name (pid $pid) did not stop within ${bound}s: sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" 10 || warn "$name (pid $pid) is still running"
  fi
}

# stop_postmaster: stops a server left running on PG_DATA without its launcher (fast shutdown).
stop_postmaster() {
  local pid
  if pid=$(postmaster_pid); then
    stop_pid "PostgreSQL server" "$pid" INT 30
  fi
}

# http_status URL: prints the HTTP status code of a GET (000 when nothing answers).
http_status() {
  local code
  if command -v curl > /dev/null 2>&1; then
    code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$1" 2>/dev/null) || true
    printf '%s\n' "${code:-000}"
    return
  fi
  # no curl: plain HTTP/1.0 over bash's /dev/tcp
  local rest=${1#http://} hostport path host port line
  hostport=${rest%%/*}
  path=/${rest#*/}
  host=${hostport%%:*}
  port=${hostport##*:}
  if exec 3<>"/dev/tcp/$host/$port" 2>/dev/null; then
    printf 'GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$hostport" >&3
    IFS=' ' read -r -t 5 _ line _ <&3 || true
    exec 3<&- 3>&-
    printf '%s\n' "${line:-000}"
  else
    printf '000\n'
  fi
}

# port_open PORT: true if something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# port_holder PORT: who listens on PORT, as far as ss can tell ("java (pid 123): java -jar ..."), or nothing.
port_holder() {
  command -v ss > /dev/null 2>&1 || return 1
  local line proc pid args
  line=$(ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'users:(("[^"]*",pid=[0-9]*' | head -n 1) || true
  [ -n "$line" ] || return 1
  proc=${line#users:((\"}
  proc=${proc%%\"*}
  pid=${line##*pid=}
  args=$(cmdline_of "$pid" | tr -s '\n\t ' '   ')
  args=${args% }
  if [ "${#args}" -gt 120 ]; then args="${args:0:120}..."; fi
  printf '%s (pid %s%s)' "$proc" "$pid" "${args:+: $args}"
}

# port_taken_message PORT WHAT SETTING: the message for a port already in use, naming what holds it when ss can
# tell, and the environment variable that moves it.
port_taken_message() {
  local holder
  holder=$(port_holder "$1") || holder=
  if [ -n "$holder" ]; then
    printf 'Port %s on 127.0.0.1 (%s) is already in use by %s.\n' "$1" "$2" "$holder"
  else
    printf 'Port %s on 127.0.0.1 (%s) is already in use by another program (ss -ltnp may name it; run as root to see other users'"'"' processes).\n' "$1" "$2"
  fi
  printf 'Stop that program, or choose another port with %s.' "$3"
}

