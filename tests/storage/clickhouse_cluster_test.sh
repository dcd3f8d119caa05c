#!/usr/bin/env bash
# The local two-shard ClickHouse cluster (scripts/clickhouse_cluster.sh) and the sharded layout of
# issue 17 (docs/clickhouse.md): starts the cluster, checks its start, status and error paths,
# creates orders and deliveries as a MergeTree table on each shard with a Distributed table over
# them sharded by cityHash64(order_id), inserts a generated world's rows from CSV that DuckDB wrote
# (tests/storage/clickhouse_export.sql), checks the counts and sums through the Distributed tables
# against DuckDB's, that each shard holds part of the rows with every delivery on its order's
# shard, and a shard-local join; then stops the cluster and checks that no server is left. Then a
# one-shard cluster (CLICKHOUSE_SHARDS=1): one server, `cxagent load` into it, a folder that keeps
# its number of shards, and a bad CLICKHOUSE_SHARDS.
#
#   tests/storage/clickhouse_cluster_test.sh [CXAGENT_BIN]
#
# Ends with "clickhouse: N passed, M failed" (exit 1 on a failure), or with "clickhouse: skipped
# (...)" and exit 0 when clickhouse-server is not installed (scripts/setup.sh installs it).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CXAGENT="${1:-$ROOT/build/cxagent}"
CLUSTER="$ROOT/scripts/clickhouse_cluster.sh"

if ! command -v clickhouse-server >/dev/null; then
  echo "clickhouse: skipped (clickhouse-server is not installed; scripts/setup.sh installs it)"
  exit 0
fi
[ -x "$CXAGENT" ] || { echo "no cxagent binary at $CXAGENT"; echo "clickhouse: 0 passed, 1 failed"; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/cxagent-clickhouse-test.XXXXXX")"
DIR="$WORK/cluster"
ONE="$WORK/one-shard"
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  "$CLUSTER" stop "$DIR" >/dev/null 2>&1
  "$CLUSTER" stop "$ONE" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' TERM INT  # so that a time-out (scripts/test.sh) still stops the cluster

passed=0
failed=0
check() {  # check NAME CONDITION-STATUS [DETAIL]
  if [ "$2" -eq 0 ]; then
    passed=$((passed + 1))
    echo "ok   $1"
  else
    failed=$((failed + 1))
    echo "FAIL $1${3:+: $3}"
  fi
}
seconds_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }
finish() {
  echo "clickhouse: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

# --- the cluster script ------------------------------------------------------------------------
started=$EPOCHREALTIME
out=$("$CLUSTER" start "$DIR" 2>&1)
status=$?
echo "     start took $(seconds_since "$started") s"
[ "$status" -eq 0 ] && [ -f "$DIR/ports.env" ]
check "start exits 0 and writes ports.env" $? "$out"
[ "$status" -eq 0 ] || finish
# shellcheck disable=SC1091
. "$DIR/ports.env"
H1=$CLICKHOUSE_HTTP_PORT_1
H2=$CLICKHOUSE_HTTP_PORT_2
[ "${CLICKHOUSE_SHARDS:-}" = 2 ] && [ -n "$H2" ]
check "two shards by default, both in ports.env" $? "$(cat "$DIR/ports.env")"

out=$("$CLUSTER" start "$DIR" 2>&1)
status=$?
before=$(cat "$DIR/ports.env")
[ "$status" -eq 0 ] && [[ "$out" == *"already running"* ]] && [ "$before" = "$(cat "$DIR/ports.env")" ]
check "a second start is a no-op" $? "$out"

"$CLUSTER" status "$DIR" >/dev/null 2>&1
check "status exits 0 when both servers answer" $?

out=$(CLICKHOUSE_CLUSTER_PORT=$H1 "$CLUSTER" start "$WORK/other" 2>&1)
status=$?
[ "$status" -eq 2 ] && [[ "$out" == *"port $H1 on 127.0.0.1 is busy"* ]] && [ "$(echo "$out" | wc -l)" -eq 1 ]
check "a busy port is one line and exit 2" $? "exit $status: $out"

out=$(CLICKHOUSE_SERVER_BIN=/nonexistent/clickhouse-server "$CLUSTER" start "$WORK/other" 2>&1)
status=$?
[ "$status" -eq 2 ] && [[ "$out" == *"/nonexistent/clickhouse-server not found"* ]]
check "a missing server binary is exit 2" $? "exit $status: $out"

# A "server" that fails at once: the message names it and shows the end of its output.
printf '#!/bin/sh\necho "fake server: cannot bind"\nexit 1\n' > "$WORK/failing-server"
chmod +x "$WORK/failing-server"
out=$(CLICKHOUSE_SERVER_BIN="$WORK/failing-server" "$CLUSTER" start "$WORK/other" 2>&1)
status=$?
[ "$status" -eq 2 ] && [[ "$out" == *"exited while starting"* ]] && [[ "$out" == *"fake server: cannot bind"* ]]
check "a server that exits while starting is exit 2 with its log's last lines" $? "exit $status: $out"

# --- data: a small generated world, written by DuckDB as CSV that ClickHouse parses -------------
world="$WORK/world"
if ! "$CXAGENT" generate --scenario "$ROOT/scenarios/clean.yaml" --days 28 --orders-per-day 100 \
       --out "$world" >/dev/null 2>"$WORK/generate.err" ||
   ! "$CXAGENT" sql "$ROOT/tests/storage/clickhouse_export.sql" --set data="$world" \
       --set out="$world" 2>"$WORK/export.err"; then
  check "generate and export the world" 1 "$(cat "$WORK/generate.err" "$WORK/export.err")"
  finish
fi
IFS=, read -r e_orders e_deliveries e_subtotal e_no_reason e_late e_batched e_days < "$world/expected.csv"

# run PORT SQL: the body of the answer (the query goes in the POST body); fails, saying why on
# stderr, on an answer other than 200.
run() {
  local port="$1" sql="$2" body code
  body=$(curl -s --max-time 10 -w '\n%{http_code}' --data-binary "$sql" \
    "http://127.0.0.1:$port/?wait_end_of_query=1&database=cx" 2>&1)
  code=${body##*$'\n'}
  body=${body%$'\n'*}
  if [ "$code" != 200 ]; then
    echo "HTTP $code for: $sql: $body" >&2
    return 1
  fi
  printf '%s' "$body"
}

ORDERS="order_id Int64, created_at DateTime, order_date Date, region String, store_id Int32,
  store_type String, merchant String, customer_id Int64, customer_segment String, platform String,
  daypart String, fulfillment_mode String, n_items Int32, subtotal Float64, distance_km Float64,
  quoted_eta_min Float64, status String, cancel_reason Nullable(String)"
DELIVERIES="order_id Int64, dasher_id Int64, vehicle String, is_batched UInt8, batch_size Int32,
  assign_delay_min Float64, prep_wait_min Float64, shop_min Float64, travel_min Float64,
  actual_eta_min Float64, late_min Float64, delivered_at Nullable(DateTime), weather String"
ddl_ok=0
for port in "$H1" "$H2"; do
  curl -s --max-time 10 "http://127.0.0.1:$port/" --data-binary "CREATE DATABASE cx" >/dev/null
  run "$port" "CREATE TABLE orders_local ($ORDERS) ENGINE = MergeTree()
    PARTITION BY toYYYYMM(order_date) ORDER BY (order_date, order_id)" >/dev/null &&
  run "$port" "CREATE TABLE deliveries_local ($DELIVERIES) ENGINE = MergeTree()
    ORDER BY order_id" >/dev/null &&
  run "$port" "CREATE TABLE orders AS orders_local
    ENGINE = Distributed(cxagent, cx, orders_local, cityHash64(order_id))" >/dev/null &&
  run "$port" "CREATE TABLE deliveries AS deliveries_local
    ENGINE = Distributed(cxagent, cx, deliveries_local, cityHash64(order_id))" >/dev/null ||
  ddl_ok=1
done
check "MergeTree tables on each shard and Distributed tables over them" "$ddl_ok"

# The file's header names the columns, in the file's order (18.16 skips the header line). The
# query goes in the URL and the rows in the body.
urlencode() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }
insert() {  # insert TABLE FILE
  local columns query code
  columns=$(head -1 "$2")
  query=$(urlencode "INSERT INTO $1 ($columns) FORMAT CSVWithNames")
  code=$(curl -s --max-time 20 -o "$WORK/insert.out" -w '%{http_code}' --data-binary "@$2" \
    "http://127.0.0.1:$H1/?database=cx&insert_distributed_sync=1&format_csv_allow_single_quotes=0&query=$query")
  [ "$code" = 200 ] || { echo "HTTP $code: $(head -c 400 "$WORK/insert.out")"; return 1; }
}
out=$(insert orders "$world/orders.csv")
check "insert orders.csv through the Distributed table" $? "$out"
out=$(insert deliveries "$world/deliveries.csv")
check "insert deliveries.csv through the Distributed table" $? "$out"

got=$(run "$H1" "SELECT count(), round(sum(subtotal), 4), countIf(isNull(cancel_reason)),
  uniqExact(order_date) FROM orders FORMAT CSV")
[ "$got" = "$e_orders,$e_subtotal,$e_no_reason,$e_days" ]
check "orders through the Distributed table: count, sum(subtotal), NULL cancel_reason, days" $? \
  "got $got, DuckDB $e_orders,$e_subtotal,$e_no_reason,$e_days"

got=$(run "$H2" "SELECT count(), sum(is_batched) FROM deliveries FORMAT CSV")
[ "$got" = "$e_deliveries,$e_batched" ]
check "deliveries through the other shard's Distributed table: count, batched" $? \
  "got $got, DuckDB $e_deliveries,$e_batched"

o1=$(run "$H1" "SELECT count() FROM orders_local")
o2=$(run "$H2" "SELECT count() FROM orders_local")
d1=$(run "$H1" "SELECT count() FROM deliveries_local")
d2=$(run "$H2" "SELECT count() FROM deliveries_local")
[ "${o1:-0}" -gt 0 ] && [ "${o2:-0}" -gt 0 ] && [ $((o1 + o2)) -eq "$e_orders" ] &&
  [ "${d1:-0}" -gt 0 ] && [ "${d2:-0}" -gt 0 ] && [ $((d1 + d2)) -eq "$e_deliveries" ]
check "each shard holds part of the rows" $? "orders $o1 + $o2, deliveries $d1 + $d2"
echo "     orders per shard: $o1 + $o2; deliveries: $d1 + $d2"

orphans=""
for port in "$H1" "$H2"; do
  orphans+=$(run "$port" "SELECT count() FROM deliveries_local
    WHERE order_id NOT IN (SELECT order_id FROM orders_local)")
done
[ "$orphans" = "00" ]
check "every delivery is on its order's shard" $? "deliveries away from their order: $orphans"

# The local table is named with its database: the other shard runs the join in its default
# database, not the one of the request (docs/clickhouse.md).
got=$(run "$H1" "SELECT count() FROM orders ALL INNER JOIN
  (SELECT order_id, late_min FROM cx.deliveries_local) USING order_id
  WHERE status = 'delivered' AND late_min > 5")
[ "$got" = "$e_late" ]
check "a shard-local join through the Distributed table equals DuckDB's" $? "got $got, DuckDB $e_late"

# --- stop --------------------------------------------------------------------------------------
pids="$(cat "$DIR/shard1/server.pid" "$DIR/shard2/server.pid" 2>/dev/null)"
started=$EPOCHREALTIME
"$CLUSTER" stop "$DIR" >/dev/null 2>&1
status=$?
echo "     stop took $(seconds_since "$started") s"
left=""
for pid in $pids; do kill -0 "$pid" 2>/dev/null && left+=" $pid"; done
[ "$status" -eq 0 ] && [ -z "$left" ] && [ -n "$pids" ]
check "stop leaves no server process" $? "exit $status, still running:$left"
"$CLUSTER" status "$DIR" >/dev/null 2>&1
[ $? -eq 1 ]
check "status exits 1 when stopped" $?

# --- one shard ---------------------------------------------------------------------------------
out=$(CLICKHOUSE_SHARDS=3 "$CLUSTER" start "$ONE" 2>&1)
status=$?
[ "$status" -eq 2 ] && [ "$out" = "clickhouse_cluster: CLICKHOUSE_SHARDS must be 1 or 2, not '3'" ]
check "a bad CLICKHOUSE_SHARDS is one line and exit 2" $? "exit $status: $out"

out=$(CLICKHOUSE_SHARDS=1 CLICKHOUSE_MAX_THREADS=0 "$CLUSTER" start "$ONE" 2>&1)
status=$?
[ "$status" -eq 2 ] &&
  [ "$out" = "clickhouse_cluster: CLICKHOUSE_MAX_THREADS must be a number of threads from 1 to 64, not '0'" ]
check "a bad CLICKHOUSE_MAX_THREADS is one line and exit 2" $? "exit $status: $out"

out=$(CLICKHOUSE_SHARDS=1 CLICKHOUSE_MAX_THREADS=1 "$CLUSTER" start "$ONE" 2>&1)
status=$?
[ "$status" -eq 0 ] && grep -qx "CLICKHOUSE_SHARDS=1" "$ONE/ports.env" &&
  ! grep -q "CLICKHOUSE_HTTP_PORT_2" "$ONE/ports.env" && [ ! -e "$ONE/shard2" ]
check "CLICKHOUSE_SHARDS=1 starts one server" $? "exit $status: $out; $(cat "$ONE/ports.env" 2>&1)"
[ "$status" -eq 0 ] || finish
P1=$(sed -n 's/^CLICKHOUSE_HTTP_PORT_1=//p' "$ONE/ports.env")
curl -s --max-time 10 "http://127.0.0.1:$P1/" --data-binary "CREATE DATABASE cx" >/dev/null

got=$(run "$P1" "SELECT count(), sum(is_local) FROM system.clusters WHERE cluster = 'cxagent'
  FORMAT CSV")
[ "$got" = "1,1" ]
check "the one-shard cluster definition names the one server" $? "got $got"

got=$(run "$P1" "SELECT value FROM system.settings WHERE name = 'max_threads'")
[ "$got" = "1" ]
check "CLICKHOUSE_MAX_THREADS=1 holds the server's queries to one thread" $? "max_threads is $got"

"$CLUSTER" status "$ONE" >/dev/null 2>&1
check "status exits 0 when the one server answers" $?

out=$("$CXAGENT" load --data "$world" --into "clickhouse://127.0.0.1:$P1/cx?cluster=cxagent" 2>&1)
status=$?
got=$(run "$P1" "SELECT count() FROM orders")
[ "$status" -eq 0 ] && [ "$got" = "$e_orders" ]
check "cxagent load into the one-shard cluster" $? "exit $status, $got orders of $e_orders: $out"

out=$("$CLUSTER" start "$ONE" 2>&1)
status=$?
[ "$status" -eq 2 ] && [[ "$out" == *"holds a cluster of 1 shard(s); start it with CLICKHOUSE_SHARDS=1"* ]] &&
  [ "$(echo "$out" | wc -l)" -eq 1 ]
check "a folder keeps its number of shards" $? "exit $status: $out"

pids="$(cat "$ONE/shard1/server.pid" 2>/dev/null)"
"$CLUSTER" stop "$ONE" >/dev/null 2>&1
status=$?
left=""
for pid in $pids; do kill -0 "$pid" 2>/dev/null && left+=" $pid"; done
"$CLUSTER" status "$ONE" >/dev/null 2>&1
stopped=$?
[ "$status" -eq 0 ] && [ -z "$left" ] && [ -n "$pids" ] && [ "$stopped" -eq 1 ]
check "stop leaves no server of the one-shard cluster" $? "exit $status, status $stopped, still running:$left"

# --- an owner ----------------------------------------------------------------------------------
out=$(CLICKHOUSE_SHARDS=1 CLICKHOUSE_CLUSTER_OWNER=someone "$CLUSTER" start "$ONE" 2>&1)
status=$?
[ "$status" -eq 2 ] &&
  [ "$out" = "clickhouse_cluster: CLICKHOUSE_CLUSTER_OWNER must be a process id, not 'someone'" ] &&
  ! "$CLUSTER" status "$ONE" >/dev/null 2>&1
check "a bad CLICKHOUSE_CLUSTER_OWNER is one line, exit 2 and no server" $? "exit $status: $out"

# A test process killed before it could stop its cluster: the cluster stops itself.
sleep 600 &
owner=$!
out=$(CLICKHOUSE_SHARDS=1 CLICKHOUSE_CLUSTER_OWNER=$owner "$CLUSTER" start "$ONE" 2>&1)
status=$?
pids="$(cat "$ONE/shard1/server.pid" 2>/dev/null)"
kill -9 "$owner"
wait "$owner" 2>/dev/null
left="$pids"
for _ in $(seq 100); do
  left=""
  for pid in $pids; do kill -0 "$pid" 2>/dev/null && left+=" $pid"; done
  [ -z "$left" ] && break
  sleep 0.2
done
[ "$status" -eq 0 ] && [ -n "$pids" ] && [ -z "$left" ]
check "a cluster whose owner is killed stops within 20 s" $? "exit $status: $out; still running:$left"

finish
