#!/usr/bin/env bash
# A local two-shard ClickHouse cluster for tests (issue 17, docs/clickhouse.md):
#
#   scripts/clickhouse_cluster.sh start|stop|status [DIR]
#
# `start` runs two clickhouse-server processes (Debian's 18.16) on loopback, each with its own
# folder DIR/shard1 and DIR/shard2 (configuration, data, logs), and one cluster definition named
# `cxagent` whose two shards are the two servers (no ZooKeeper, no replication). It waits until
# both answer `SELECT 1` over HTTP and writes their ports to DIR/ports.env (shell assignments:
# CLICKHOUSE_HTTP_PORT_1, CLICKHOUSE_TCP_PORT_1, ..._2, CLICKHOUSE_CLUSTER, CLICKHOUSE_USER,
# CLICKHOUSE_PASSWORD). A `start` while the cluster runs does nothing. `stop` stops both servers
# and waits until they are gone (the data stays in DIR; delete DIR to start empty). `status`
# prints each server's state and exits 0 when both answer, 1 when none runs, 2 otherwise.
#
# DIR defaults to build/clickhouse-cluster. Ports are free ones the system picks; with
# CLICKHOUSE_CLUSTER_PORT=N set, the servers use N..N+3 (HTTP 1, TCP 1, HTTP 2, TCP 2) instead.
# Errors (no clickhouse-server, a busy port, a server that does not start) are one line on stderr
# and exit 2; a server that does not start also shows the last lines of its log.
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

load_ports() {
  [ -f "$DIR/ports.env" ] || return 1
  # shellcheck disable=SC1091
  . "$DIR/ports.env"
  [ -n "${CLICKHOUSE_HTTP_PORT_1:-}" ] && [ -n "${CLICKHOUSE_HTTP_PORT_2:-}" ]
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
      <shard>
        <replica><host>127.0.0.1</host><port>$CLICKHOUSE_TCP_PORT_1</port></replica>
      </shard>
      <shard>
        <replica><host>127.0.0.1</host><port>$CLICKHOUSE_TCP_PORT_2</port></replica>
      </shard>
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
  for n in 1 2; do
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
  [ "$up" -eq 2 ] && return 0
  [ "$up" -eq 0 ] && [ -z "$(pid_of 1)$(pid_of 2)" ] && return 1
  return 2
}

do_stop() {
  local n pid pids=() waited=0
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

  if load_ports && [ -n "$(pid_of 1)" ] && [ -n "$(pid_of 2)" ] &&
     answers "$CLICKHOUSE_HTTP_PORT_1" && answers "$CLICKHOUSE_HTTP_PORT_2"; then
    echo "already running (ports in $DIR/ports.env)"
    return 0
  fi
  # Half a cluster (one server gone) is stopped and started again whole.
  if [ -n "$(pid_of 1)$(pid_of 2)" ]; then do_stop >/dev/null; fi

  local ports
  if [ -n "${CLICKHOUSE_CLUSTER_PORT:-}" ]; then
    [[ "$CLICKHOUSE_CLUSTER_PORT" =~ ^[0-9]+$ ]] && [ "$CLICKHOUSE_CLUSTER_PORT" -ge 1024 ] &&
      [ "$CLICKHOUSE_CLUSTER_PORT" -le 65532 ] ||
      fail "CLICKHOUSE_CLUSTER_PORT must be a port from 1024 to 65532, not '$CLICKHOUSE_CLUSTER_PORT'"
    local base="$CLICKHOUSE_CLUSTER_PORT"
    ports="$base $((base + 1)) $((base + 2)) $((base + 3))"
  else
    ports="$(free_ports 4)" || fail "could not find free loopback ports"
  fi
  read -r CLICKHOUSE_HTTP_PORT_1 CLICKHOUSE_TCP_PORT_1 CLICKHOUSE_HTTP_PORT_2 CLICKHOUSE_TCP_PORT_2 \
    <<< "$ports"
  for port in $ports; do
    port_busy "$port" && fail "port $port on 127.0.0.1 is busy (another process listens on it)"
  done

  write_config 1 "$CLICKHOUSE_HTTP_PORT_1" "$CLICKHOUSE_TCP_PORT_1"
  write_config 2 "$CLICKHOUSE_HTTP_PORT_2" "$CLICKHOUSE_TCP_PORT_2"
  rm -f "$DIR/ports.env"

  for n in 1 2; do
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
    for n in 1 2; do
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
    [ "$ready" -eq 2 ] && break
    if [ "$waited" -ge $((START_TIMEOUT_S * 10)) ]; then
      do_stop >/dev/null
      printf 'clickhouse_cluster: the servers did not answer SELECT 1 within %s s\n' \
        "$START_TIMEOUT_S" >&2
      log_tail 1
      log_tail 2
      exit 2
    fi
    sleep 0.1
    waited=$((waited + 1))
  done

  cat > "$DIR/ports.env.tmp" <<EOF
# Written by scripts/clickhouse_cluster.sh start: the local two-shard cluster's ports.
CLICKHOUSE_HTTP_PORT_1=$CLICKHOUSE_HTTP_PORT_1
CLICKHOUSE_TCP_PORT_1=$CLICKHOUSE_TCP_PORT_1
CLICKHOUSE_HTTP_PORT_2=$CLICKHOUSE_HTTP_PORT_2
CLICKHOUSE_TCP_PORT_2=$CLICKHOUSE_TCP_PORT_2
CLICKHOUSE_CLUSTER=$CLUSTER_NAME
CLICKHOUSE_USER=$TEST_USER
CLICKHOUSE_PASSWORD=$TEST_PASSWORD
EOF
  mv "$DIR/ports.env.tmp" "$DIR/ports.env"
  echo "started: shard 1 on HTTP $CLICKHOUSE_HTTP_PORT_1 (TCP $CLICKHOUSE_TCP_PORT_1), shard 2 on HTTP $CLICKHOUSE_HTTP_PORT_2 (TCP $CLICKHOUSE_TCP_PORT_2); ports in $DIR/ports.env"
}

case "$command_name" in
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
esac
