#!/usr/bin/env bash
# The analysis where the data lives (issue 17, docs/scale.md): for each size, a demo world of 90
# days is generated, loaded into a fresh local ClickHouse cluster (scripts/clickhouse_cluster.sh)
# and analysed from it with `cxagent analyze --data clickhouse://...`. Prints per step the wall
# time and cxagent's peak RSS, the analysis' own stage times (the leaves pass among them) and what
# came back over the network (its log: the requests to ClickHouse and the bytes of their answers,
# counted by storage::ClickHouseClient).
# Usage: bench/scale.sh [BUILD_DIR] [ORDERS_PER_DAY...]   (default 111000: about 10M orders)
# WORK=DIR keeps the worlds and the cluster there (default: a temporary folder, deleted).
# SHARDS=1|2 (default 2): the cluster's shards; its folder is WORK/cluster with two shards and
# WORK/cluster-1shard with one, so both can stay loaded side by side.
# SKIP_LOAD=1 (needs WORK, and one size): the cluster in WORK already holds the world; it is
# started if stopped and analysed, nothing is generated or loaded. So the leaves pass can be
# timed on one shard against two: load each once, then analyse each with SKIP_LOAD=1.
# ANALYZE_ARGS="--config FILE" adds arguments to `cxagent analyze`.
# CLICKHOUSE_MAX_THREADS=N holds each server to N threads per query from the cluster's start
# (scripts/clickhouse_cluster.sh): with 1, one shard against two is one core against two.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
shift || true
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(111000)
binary="$build/cxagent"
[ -x "$binary" ] || { echo "bench/scale.sh: no $binary (build first)" >&2; exit 2; }
command -v clickhouse-server > /dev/null || { echo "bench/scale.sh: no clickhouse-server" >&2; exit 2; }
shards="${SHARDS:-2}"
[[ "$shards" =~ ^[12]$ ]] || { echo "bench/scale.sh: SHARDS must be 1 or 2, not '$shards'" >&2; exit 2; }
skip_load="${SKIP_LOAD:-0}"
[[ "$skip_load" =~ ^[01]$ ]] || { echo "bench/scale.sh: SKIP_LOAD must be 0 or 1, not '$skip_load'" >&2; exit 2; }
if [ "$skip_load" = 1 ]; then
  [ -n "${WORK:-}" ] || { echo "bench/scale.sh: SKIP_LOAD=1 needs WORK=DIR, the folder of a loaded cluster" >&2; exit 2; }
  [ ${#sizes[@]} -eq 1 ] || { echo "bench/scale.sh: SKIP_LOAD=1 analyses the one world the cluster holds; name one size" >&2; exit 2; }
fi
if [ -n "${WORK:-}" ]; then
  work="$WORK"
  mkdir -p "$work"
else
  work="$(mktemp -d)"
fi
if [ "$shards" = 2 ]; then cluster="$work/cluster"; else cluster="$work/cluster-1shard"; fi
if [ "$skip_load" = 1 ] && [ ! -f "$cluster/ports.env" ]; then
  echo "bench/scale.sh: SKIP_LOAD=1 but $cluster holds no cluster (run once without SKIP_LOAD)" >&2
  exit 2
fi
read -r -a analyze_args <<< "${ANALYZE_ARGS:-}"
cleanup() {
  "$here/scripts/clickhouse_cluster.sh" stop "$cluster" > /dev/null 2>&1 || true
  if [ -z "${WORK:-}" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT

# measure LOG CMD...: runs CMD, polling its peak RSS (VmHWM); prints "wall_s peak_rss_mib" and
# leaves CMD's stderr in LOG. Fails when CMD fails.
measure() {
  local log="$1"
  shift
  local started=$EPOCHREALTIME
  "$@" > /dev/null 2> "$log" &
  local pid=$! rss=0 line
  while kill -0 "$pid" 2> /dev/null; do
    line=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status" 2> /dev/null) && [ -n "$line" ] && rss=$line
    sleep 0.2
  done
  wait "$pid" || { tail -5 "$log" >&2; return 1; }
  awk -v s="$started" -v e="$EPOCHREALTIME" -v r="$rss" \
    'BEGIN {printf "%.1f %.0f\n", e - s, r / 1024}'
}

for per_day in "${sizes[@]}"; do
  world="$work/world-$per_day"
  if [ "$skip_load" = 1 ]; then
    echo "-- the world loaded in $cluster ($shards shard(s)), analysed again" \
      "(max_threads ${CLICKHOUSE_MAX_THREADS:-as the server sets it})"
    # Started afresh, so that CLICKHOUSE_MAX_THREADS applies and no run inherits another's caches.
    "$here/scripts/clickhouse_cluster.sh" stop "$cluster" > /dev/null 2>&1 || true
    CLICKHOUSE_SHARDS="$shards" "$here/scripts/clickhouse_cluster.sh" start "$cluster" > /dev/null
    # shellcheck disable=SC1091
    . "$cluster/ports.env"
  else
    echo "-- demo world at $per_day orders/day, 90 days, $shards shard(s)"
    if [ ! -f "$world/orders.parquet" ]; then
      rm -rf "$world"
      read -r wall rss < <(measure "$work/generate.log" "$binary" generate \
        --scenario "$here/scenarios/demo.yaml" --out "$world" --days 90 --orders-per-day "$per_day")
      echo "generate: ${wall} s, peak RSS ${rss} MiB"
    fi
    "$here/scripts/clickhouse_cluster.sh" stop "$cluster" > /dev/null 2>&1 || true
    rm -rf "$cluster"
    CLICKHOUSE_SHARDS="$shards" "$here/scripts/clickhouse_cluster.sh" start "$cluster" > /dev/null
    # shellcheck disable=SC1091
    . "$cluster/ports.env"
    # The database on each shard (ON CLUSTER needs ZooKeeper on 18.16).
    for shard in $(seq "$shards"); do
      port_var="CLICKHOUSE_HTTP_PORT_$shard"
      curl -sSf "http://127.0.0.1:${!port_var}/" --data-binary "CREATE DATABASE IF NOT EXISTS cx" \
        > /dev/null
    done
  fi
  url="clickhouse://127.0.0.1:$CLICKHOUSE_HTTP_PORT_1/cx?cluster=$CLICKHOUSE_CLUSTER"
  [ "$shards" = 2 ] && url="$url&shards=127.0.0.1:$CLICKHOUSE_HTTP_PORT_2"
  if [ "$skip_load" = 0 ]; then
    read -r wall rss < <(measure "$work/load.log" "$binary" load --data "$world" --into "$url")
    echo "load: ${wall} s, cxagent peak RSS ${rss} MiB"
    grep -Eo 'load: [a-z_]+: [0-9]+ rows in [0-9.]+ s \([0-9]+ rows/s\)' "$work/load.log" |
      sed 's/^/  /'
  fi
  results="$work/results-$per_day-${shards}shard"
  rm -rf "$results"
  read -r wall rss < <(measure "$work/analyze.log" "$binary" analyze --data "$url" \
    --results "$results" "${analyze_args[@]}")
  echo "analyze from the cluster: ${wall} s, cxagent peak RSS ${rss} MiB"
  grep -Eo 'analyze: (.* in [0-9.]+ s.*|[0-9]+ requests to ClickHouse.*)' "$work/analyze.log" |
    sed 's/^/  /'
  for shard in $(seq "$shards"); do
    port_var="CLICKHOUSE_HTTP_PORT_$shard"
    echo "  shard $shard: $(curl -sS "http://127.0.0.1:${!port_var}/" --data-binary \
      "SELECT count() FROM cx.orders_local") orders"
  done
done
