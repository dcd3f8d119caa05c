#!/usr/bin/env bash
# Multiplies a world loaded in a local ClickHouse cluster (bench/scale.sh with WORK=DIR) inside
# ClickHouse, for scale figures beyond what this machine can generate and load in a session
# (docs/scale.md): every per-order table gets COPIES - 1 more copies of its rows, copy k's
# order_id (and support's ticket_id) shifted by k x 10^8. The generator numbers a day's orders
# day x 10^10 + n, so a copy's ids stay in their day's band and ids still grow with time (the
# leaves pass reads a range of days by its id bounds); the script refuses ids whose n reaches
# 10^8 (other numbering, or copied before). A copy stays on the shard of its
# original, so an order's rows stay together and the joins stay shard-local, but its new
# order_id no longer follows the Distributed table's sharding key (no later insert goes through
# it). Columns are inserted by position: an alias named like a column would be what WHERE
# filters on. The small replicated tables (inventory, supply_hourly, change_log) are kept as they are:
# the copies are the same stores, regions and hours with COPIES times the orders.
# Analyse a copied world with the volume floors raised COPIES-fold (cube.min_daily_orders,
# rca.control_min_daily_orders) and incidents.mechanism_detection off, so that it keeps the
# original's slices and incidents: copies of a few orders pass a floor in orders, and copied
# orders swing less than independent ones would (docs/scale.md, 100M orders).
# Usage: bench/scale_copies.sh CLUSTER_DIR COPIES [DATABASE]   (CLUSTER_DIR has ports.env)
set -euo pipefail
cluster="${1:?usage: bench/scale_copies.sh CLUSTER_DIR COPIES [DATABASE]}"
copies="${2:?usage: bench/scale_copies.sh CLUSTER_DIR COPIES [DATABASE]}"
database="${3:-cx}"
[ -f "$cluster/ports.env" ] || { echo "bench/scale_copies.sh: no $cluster/ports.env" >&2; exit 2; }
[[ "$copies" =~ ^[0-9]+$ ]] && [ "$copies" -ge 2 ] && [ "$copies" -le 100 ] ||
  { echo "bench/scale_copies.sh: COPIES must be a whole number in [2, 100], got '$copies'" >&2; exit 2; }
[[ "$database" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] ||
  { echo "bench/scale_copies.sh: '$database' is not a plain database name" >&2; exit 2; }
# shellcheck disable=SC1091
. "$cluster/ports.env"
offset=100000000
band=10000000000

query() {  # query PORT SQL: the answer on stdout; the server's message and exit 2 on an error
  local answer
  if ! answer=$(curl -sS "http://127.0.0.1:$1/" --data-binary "$2" -w '\n%{http_code}'); then
    echo "bench/scale_copies.sh: shard on port $1 did not answer" >&2
    exit 2
  fi
  local code="${answer##*$'\n'}"
  answer="${answer%$'\n'*}"
  if [ "$code" != 200 ]; then
    echo "bench/scale_copies.sh: port $1: $(echo "$answer" | head -1)" >&2
    exit 2
  fi
  printf '%s' "$answer"
}

ports=("$CLICKHOUSE_HTTP_PORT_1")
[ -n "${CLICKHOUSE_HTTP_PORT_2:-}" ] && ports+=("$CLICKHOUSE_HTTP_PORT_2")
for port in "${ports[@]}"; do
  for id in "orders order_id" "support ticket_id"; do
    read -r table column <<< "$id"
    largest=$(query "$port" "SELECT max($column % $band) FROM $database.${table}_local")
    if [ "$largest" -ge "$offset" ]; then
      echo "bench/scale_copies.sh: port $port: a $table.$column is not day x $band + n with" \
        "n < $offset (another numbering, or copied before)" >&2
      exit 2
    fi
  done
done
for table in orders deliveries items support ratings; do
  started=$EPOCHREALTIME
  for port in "${ports[@]}"; do
    columns=$(query "$port" "DESCRIBE TABLE $database.${table}_local FORMAT TSV" | cut -f1)
    select=()
    while read -r column; do
      case "$column" in
        order_id | ticket_id) select+=("$column + k * $offset") ;;
        *) select+=("$column") ;;
      esac
    done <<< "$columns"
    list=$(IFS=,; echo "${select[*]}")
    query "$port" "INSERT INTO $database.${table}_local SELECT $list FROM $database.${table}_local \
ARRAY JOIN arrayMap(x -> x + 1, range($((copies - 1)))) AS k WHERE order_id % $band < $offset" > /dev/null
  done
  rows=0
  for port in "${ports[@]}"; do
    rows=$((rows + $(query "$port" "SELECT count() FROM $database.${table}_local")))
  done
  awk -v t="$table" -v r="$rows" -v s="$started" -v e="$EPOCHREALTIME" \
    'BEGIN {printf "%s: %d rows after copying, %.1f s\n", t, r, e - s}'
done
