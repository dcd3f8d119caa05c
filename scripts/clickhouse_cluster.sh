#!/usr/bin/env bash
# A local ClickHouse cluster of one or two shards for tests (issue 17, docs/clickhouse.md):
#
#   [CLICKHOUSE_SHARDS=1|2] scripts/clickhouse_cluster.sh start|stop|status [DIR]
#
# `start` runs one clickhouse-server process (Debian's 18.16) per shard on loopback, two by
# default (CLICKHOUSE_SHARDS=1 for one), each with its own folder DIR/shard1, DIR/shard2
# (configuration, data, logs), and one cluster definition named `cxagent` whose shards are the
# servers (no ZooKeeper, no replication). It waits until every server answers `SELECT 1` over HTTP
# and writes their ports to DIR/ports.env (shell assignments: CLICKHOUSE_SHARDS,
# CLICKHOUSE_HTTP_PORT_1, CLICKHOUSE_TCP_PORT_1, ..._2 with two shards, CLICKHOUSE_CLUSTER,
# CLICKHOUSE_USER, CLICKHOUSE_PASSWORD). A `start` while the cluster runs does nothing. A folder
# keeps its number of shards: its data is split between them, so a `start` asking for another
# number is refused (delete DIR to start empty). `stop` stops the servers and waits until they
# are gone (the data stays in DIR). `status` prints each server's state and exits 0 when all
# answer, 1 when none runs, 2 otherwise.
#
# DIR defaults to build/clickhouse-cluster. Ports are free ones the system picks; with
# CLICKHOUSE_CLUSTER_PORT=N set, the servers use N, N+1, ... (HTTP 1, TCP 1, HTTP 2, TCP 2)
# instead. CLICKHOUSE_MAX_THREADS=N (1 to 64) holds every query on each server to N threads (the
# setting max_threads; default: the server's own, the number of cores), so that on a small
# machine one shard against two compares equal work per core (bench/scale.sh); it applies from
# the `start` that sets it. Errors (no clickhouse-server, a bad CLICKHOUSE_SHARDS or
# CLICKHOUSE_MAX_THREADS, a busy port, a server that does not start) are one line on stderr and
# exit 2; a server that does not start also shows the last lines of its log.
# CLICKHOUSE_CLUSTER_OWNER=PID at `start` stops the cluster once process PID is gone (checked every
# 2 s), so that a test process killed before it could stop its cluster leaves no server running.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVER_BIN="${CLICKHOUSE_SERVER_BIN:-clickhouse-server}"
CLUSTER_NAME=cxagent
# A user with a password besides `default` (which has none): what tests of user and password in
# a clickhouse:// URL log in as. Loopback only.
TEST_USER=cxagent
TEST_PASSWORD=cxagent-test
START_TIMEOUT_S=30
STOP_TIMEOUT_S=20

fail() { printf 'clickhouse_cluster: %s\n' "$*" >&2; exit 2; }
usage() { echo "usage: scripts/clickhouse_cluster.sh start|stop|status [DIR]" >&2; exit 2; }

[ $# -ge 1 ] && [ $# -le 2 ] || usage
command_name="$1"
DIR="${2:-$ROOT/build/clickhouse-cluster}"
case "$command_name" in start|stop|status) ;; *) usage ;; esac
mkdir -p "$DIR" 2>/dev/null || fail "cannot create the folder $DIR"
DIR="$(cd "$DIR" && pwd)"
# The shards a start asks for; stop and status act on the folder's own (ports.env).
SHARDS="${CLICKHOUSE_SHARDS:-2}"
[[ "$SHARDS" =~ ^[12]$ ]] || fail "CLICKHOUSE_SHARDS must be 1 or 2, not '$SHARDS'"
MAX_THREADS="${CLICKHOUSE_MAX_THREADS:-}"
if [ -n "$MAX_THREADS" ]; then
  [[ "$MAX_THREADS" =~ ^[1-9][0-9]?$ ]] && [ "$MAX_THREADS" -le 64 ] ||
    fail "CLICKHOUSE_MAX_THREADS must be a number of threads from 1 to 64, not '$MAX_THREADS'"
fi

# --- helpers ---------------------------------------------------------------------------------

# pid_of N: the recorded process id of server N when that process still runs, else nothing.
pid_of() {
  local file="$DIR/shard$1/server.pid" pid
  [ -f "$file" ] || return 0
  pid="$(cat "$file" 2>/dev/null)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  # The process must still be this folder's server (a recycled pid, or another cluster's
  # server, is not ours).
  if kill -0 "$pid" 2>/dev/null &&
     tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--config-file=$DIR/shard$1/config.xml"; then
    echo "$pid"
  fi
}

# answers PORT: whether a server answers SELECT 1 over HTTP on PORT.
answers() {
  [ "$(curl -s --max-time 2 "http://127.0.0.1:$1/?query=SELECT%201" 2>/dev/null)" = "1" ]
}

# port_busy PORT: whether something listens on loopback PORT (a connect succeeds).
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_ports N: N distinct free loopback ports, picked by the system.
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
sockets = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    sockets.append(s)
print(" ".join(str(s.getsockname()[1]) for s in sockets))
EOF
}

# log_tail N: the last lines of server N's logs, indented, for a failure message.
log_tail() {
  local folder="$DIR/shard$1" file
  for file in "$folder/server.err.log" "$folder/stdout.log" "$folder/server.log"; do
    if [ -s "$file" ]; then
      echo "  last lines of $file:" >&2
      tail -n 8 "$file" | sed 's/^/    /' >&2
      return
    fi
  done
}

# load_ports: reads DIR/ports.env and sets FOLDER_SHARDS to the folder's number of shards (2 for
# a ports.env written before CLICKHOUSE_SHARDS existed).
load_ports() {
  [ -f "$DIR/ports.env" ] || return 1
  local n port
  FOLDER_SHARDS="$(sed -n 's/^CLICKHOUSE_SHARDS=//p' "$DIR/ports.env")"
  # shellcheck disable=SC1091
  . "$DIR/ports.env"
  FOLDER_SHARDS="${FOLDER_SHARDS:-2}"
  for n in $(seq "$FOLDER_SHARDS"); do
    port="CLICKHOUSE_HTTP_PORT_$n"
    [ -n "${!port:-}" ] || return 1
  done
}

# folder_shards: the number of shards of the cluster whose folder is DIR (from ports.env, else
# from the shard folders present).
folder_shards() {
  if load_ports; then
    echo "$FOLDER_SHARDS"
  elif [ -d "$DIR/shard2" ]; then
    echo 2
  else
    echo 1
  fi
}

# remote_shards: the <shard> elements of the cluster definition, one per server.
remote_shards() {
  local n tcp
  for n in $(seq "$SHARDS"); do
    tcp="CLICKHOUSE_TCP_PORT_$n"
    echo "      <shard>"
    echo "        <replica><host>127.0.0.1</host><port>${!tcp}</port></replica>"
    echo "      </shard>"
  done
}

# write_config N HTTP TCP: the server's config.xml and users.xml in DIR/shardN.
write_config() {
  local n="$1" http="$2" tcp="$3" folder="$DIR/shard$1"
  mkdir -p "$folder/data" "$folder/tmp" "$folder/user_files"
  # 18.16 reads XML with a <yandex> root (current ClickHouse also takes <clickhouse>). Server
  # time zone UTC: DateTime values are stored as Unix time and read and printed in this zone, so
  # the contract's zone-less TIMESTAMPs come back as they went in.
  cat > "$folder/config.xml" <<EOF
<?xml version="1.0"?>
<!-- Written by scripts/clickhouse_cluster.sh: shard $n of the local test cluster. -->
<yandex>
  <logger>
    <level>information</level>
    <log>$folder/server.log</log>
    <errorlog>$folder/server.err.log</errorlog>
    <size>100M</size>
    <count>2</count>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$http</http_port>
  <tcp_port>$tcp</tcp_port>
  <path>$folder/data/</path>
  <tmp_path>$folder/tmp/</tmp_path>
  <user_files_path>$folder/user_files/</user_files_path>
  <format_schema_path>$folder/data/format_schemas/</format_schema_path>
  <users_config>$folder/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <max_concurrent_queries>100</max_concurrent_queries>
  <keep_alive_timeout>3</keep_alive_timeout>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <mark_cache_size>268435456</mark_cache_size>
  <remote_servers>
    <$CLUSTER_NAME>
$(remote_shards)
    </$CLUSTER_NAME>
  </remote_servers>
  <macros>
    <shard>$n</shard>
  </macros>
</yandex>
EOF
  cat > "$folder/users.xml" <<EOF
<?xml version="1.0"?>
<!-- Written by scripts/clickhouse_cluster.sh. -->
<yandex>
  <profiles>
    <default>
      <max_memory_usage>4000000000</max_memory_usage>
      <load_balancing>in_order</load_balancing>
$([ -n "$MAX_THREADS" ] && echo "      <max_threads>$MAX_THREADS</max_threads>")
      <!-- How often an idle connection checks whether the server stops: at the default 10 s, two
           servers holding connections to each other took 10 s to stop. -->
      <poll_interval>1</poll_interval>
    </default>
  </profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
    <$TEST_USER>
      <password>$TEST_PASSWORD</password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </$TEST_USER>
  </users>
  <quotas>
    <default></default>
  </quotas>
</yandex>
EOF
}

# --- commands --------------------------------------------------------------------------------

do_status() {
  local n pid up=0 port
  load_ports || { echo "not running (no $DIR/ports.env)"; return 1; }
  for n in $(seq "$FOLDER_SHARDS"); do
    pid="$(pid_of "$n")"
    port="CLICKHOUSE_HTTP_PORT_$n"
    if [ -n "$pid" ] && answers "${!port}"; then
      echo "shard $n: running (pid $pid, HTTP ${!port})"
      up=$((up + 1))
    elif [ -n "$pid" ]; then
      echo "shard $n: process $pid runs but does not answer on HTTP ${!port}"
    else
      echo "shard $n: not running"
    fi
  done
  [ "$up" -eq "$FOLDER_SHARDS" ] && return 0
  [ "$up" -eq 0 ] && [ -z "$(pid_of 1)$(pid_of 2)" ] && return 1
  return 2
}

do_stop() {
  local n pid pids=() waited=0
  # Every shard folder's server, whatever the number of shards.
  for n in 1 2; do
    pid="$(pid_of "$n")"
    if [ -n "$pid" ]; then
      kill -TERM "$pid" 2>/dev/null
      pids+=("$pid")
    fi
  done
  # The servers stop together; a server still there after STOP_TIMEOUT_S is killed.
  while :; do
    local alive=()
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
    [ ${#alive[@]} -eq 0 ] && break
    if [ "$waited" -ge $((STOP_TIMEOUT_S * 10)) ]; then
      kill -KILL "${alive[@]}" 2>/dev/null
      sleep 0.2
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null && fail "server process $pid did not stop"
  done
  rm -f "$DIR/shard1/server.pid" "$DIR/shard2/server.pid"
  if [ ${#pids[@]} -gt 0 ]; then echo "stopped"; else echo "not running"; fi
}

do_start() {
  local n pid port http tcp
  command -v "$SERVER_BIN" >/dev/null ||
    fail "$SERVER_BIN not found; install Debian's clickhouse-server (scripts/setup.sh)"
  command -v curl >/dev/null || fail "curl not found; it is how the script checks the servers"
  [ -z "${CLICKHOUSE_CLUSTER_OWNER:-}" ] || [[ "$CLICKHOUSE_CLUSTER_OWNER" =~ ^[0-9]+$ ]] ||
    fail "CLICKHOUSE_CLUSTER_OWNER must be a process id, not '$CLICKHOUSE_CLUSTER_OWNER'"

  # A folder's rows are split between its shards: started with another number of shards, every
  # query would leave rows out.
  local had
  had="$(folder_shards)"
  if [ -d "$DIR/shard1/data" ] && [ "$had" != "$SHARDS" ]; then
    fail "$DIR holds a cluster of $had shard(s); start it with CLICKHOUSE_SHARDS=$had, or delete the folder for a cluster of $SHARDS"
  fi
  if do_status >/dev/null 2>&1; then
    echo "already running (ports in $DIR/ports.env)"
    return 0
  fi
  # Part of a cluster (a server gone) is stopped and started again whole.
  if [ -n "$(pid_of 1)$(pid_of 2)" ]; then do_stop >/dev/null; fi

  local ports count=$((SHARDS * 2)) last=$((65535 - SHARDS * 2 + 1))
  if [ -n "${CLICKHOUSE_CLUSTER_PORT:-}" ]; then
    [[ "$CLICKHOUSE_CLUSTER_PORT" =~ ^[0-9]+$ ]] && [ "$CLICKHOUSE_CLUSTER_PORT" -ge 1024 ] &&
      [ "$CLICKHOUSE_CLUSTER_PORT" -le "$last" ] ||
      fail "CLICKHOUSE_CLUSTER_PORT must be a port from 1024 to $last, not '$CLICKHOUSE_CLUSTER_PORT'"
    ports="$(seq -s ' ' "$CLICKHOUSE_CLUSTER_PORT" $((CLICKHOUSE_CLUSTER_PORT + count - 1)))"
  else
    ports="$(free_ports "$count")" || fail "could not find free loopback ports"
  fi
  CLICKHOUSE_HTTP_PORT_2=""
  CLICKHOUSE_TCP_PORT_2=""
  # shellcheck disable=SC2034  # read through ${!name} (remote_shards, the loops below)
  read -r CLICKHOUSE_HTTP_PORT_1 CLICKHOUSE_TCP_PORT_1 CLICKHOUSE_HTTP_PORT_2 CLICKHOUSE_TCP_PORT_2 \
    <<< "$ports"
  for port in $ports; do
    port_busy "$port" && fail "port $port on 127.0.0.1 is busy (another process listens on it)"
  done

  for n in $(seq "$SHARDS"); do
    http="CLICKHOUSE_HTTP_PORT_$n"
    tcp="CLICKHOUSE_TCP_PORT_$n"
    write_config "$n" "${!http}" "${!tcp}"
  done
  rm -f "$DIR/ports.env"

  for n in $(seq "$SHARDS"); do
    local folder="$DIR/shard$n"
    rm -f "$folder/server.err.log" "$folder/stdout.log"
    # In the background with every descriptor redirected, so the caller's pipes close; cd into
    # the folder since the server writes files beside its working directory.
    (cd "$folder" && exec "$SERVER_BIN" --config-file="$folder/config.xml" \
      </dev/null >"$folder/stdout.log" 2>&1) &
    echo $! > "$folder/server.pid"
    disown
  done

  local waited=0 ready
  while :; do
    ready=0
    for n in $(seq "$SHARDS"); do
      http="CLICKHOUSE_HTTP_PORT_$n"
      # kill -0 rather than pid_of: right after the fork the process is not yet the server.
      if ! kill -0 "$(cat "$DIR/shard$n/server.pid")" 2>/dev/null; then
        do_stop >/dev/null
        printf 'clickhouse_cluster: server %s (HTTP port %s) exited while starting\n' \
          "$n" "${!http}" >&2
        log_tail "$n"
        exit 2
      fi
      answers "${!http}" && ready=$((ready + 1))
    done
    [ "$ready" -eq "$SHARDS" ] && break
    if [ "$waited" -ge $((START_TIMEOUT_S * 10)) ]; then
      do_stop >/dev/null
      printf 'clickhouse_cluster: the servers did not answer SELECT 1 within %s s\n' \
        "$START_TIMEOUT_S" >&2
      for n in $(seq "$SHARDS"); do log_tail "$n"; done
      exit 2
    fi
    sleep 0.1
    waited=$((waited + 1))
  done

  local started=""
  {
    echo "# Written by scripts/clickhouse_cluster.sh start: the local cluster's shards and ports."
    echo "CLICKHOUSE_SHARDS=$SHARDS"
    for n in $(seq "$SHARDS"); do
      http="CLICKHOUSE_HTTP_PORT_$n"
      tcp="CLICKHOUSE_TCP_PORT_$n"
      echo "$http=${!http}"
      echo "$tcp=${!tcp}"
      started+="${started:+, }shard $n on HTTP ${!http} (TCP ${!tcp})"
    done
    echo "CLICKHOUSE_CLUSTER=$CLUSTER_NAME"
    echo "CLICKHOUSE_USER=$TEST_USER"
    echo "CLICKHOUSE_PASSWORD=$TEST_PASSWORD"
  } > "$DIR/ports.env.tmp"
  mv "$DIR/ports.env.tmp" "$DIR/ports.env"
  if [ -n "${CLICKHOUSE_CLUSTER_OWNER:-}" ]; then
    # Detached, every descriptor closed: the watcher outlives this script and the caller's pipes.
    # A folder removed meanwhile (its owner stopped the cluster) is left alone.
    setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 2; done; [ ! -d "$3" ] || "$2" stop "$3"' _ \
      "$CLICKHOUSE_CLUSTER_OWNER" "$ROOT/scripts/clickhouse_cluster.sh" "$DIR" \
      </dev/null >/dev/null 2>&1 &
    disown
  fi
  echo "started: $started; ports in $DIR/ports.env"
}

case "$command_name" in
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
esac
