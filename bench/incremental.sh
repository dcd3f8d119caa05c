#!/usr/bin/env bash
# One new day appended to a 90-day world: `cxagent analyze --incremental` (a refresh of the stored
# results of the 90 days) beside a full `cxagent analyze` of the same 91 days, side by side, at
# about 1M and 10M orders (the demo scenario at 11,100 and 111,000 orders/day, generated for 91
# days). Two layouts of the data (docs/incremental.md): `drop`, each table a folder with the 90
# days in part-0.parquet and the new day's rows added as part-1.parquet; `rewrite`, one file per
# table written again with the 91 days. Prints wall and CPU time of both analyses, their ratio
# (bar, issue 18: refresh <= 15% of the full analysis) and checks that they are equal (numbers to
# 1e-9). Each run is done ROUNDS times (default 3) and the fastest kept; the load average is
# printed beside each round (the figures of a loaded machine are not those of an idle one).
# WORLDS=DIR keeps the generated worlds there (DIR/demo-91d-<orders per day>) for later runs.
# Usage: [LAYOUTS="drop rewrite"] [ROUNDS=3] [WORLDS=DIR] [KEEP=DIR] bench/incremental.sh [BUILD_DIR]
#        [ORDERS_PER_DAY...]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
shift || true
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(11100 111000)
binary="$build/cxagent"
sql="$build/cxagent_sql"
# KEEP=DIR works in DIR and leaves it (the data, its stored results of the 90 days in stored-90,
# the full copy) for a closer look; by default a temporary folder, removed at the end.
if [ -n "${KEEP:-}" ]; then
  work="$KEEP"
  mkdir -p "$work"
else
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
fi
tables=(orders deliveries items support ratings inventory supply_hourly change_log)
last_day=2026-08-30  # day 91 of the demo scenario (it starts on 2026-06-01)

# Runs `cxagent analyze ARGS...` under /usr/bin/time; prints "wall cpu" in seconds.
timed() {
  local log="$1"
  shift
  /usr/bin/time -f "%e %U %S" -o "$work/time.txt" "$binary" analyze "$@" 2> "$log" > /dev/null \
    || { tail -5 "$log"; exit 1; }
  awk '{printf "%.2f %.2f\n", $1, $2 + $3}' "$work/time.txt"
}

for per_day in "${sizes[@]}"; do
  echo "-- demo world at $per_day orders/day, 91 days"
  if [ -n "${WORLDS:-}" ]; then
    # Generated worlds kept across runs: WORLDS/demo-91d-<orders per day>.
    world="$WORLDS/demo-91d-$per_day"
    [ -f "$world/orders.parquet" ] || "$binary" generate --scenario "$here/scenarios/demo.yaml" \
      --out "$world" --days 91 --orders-per-day "$per_day" 2>&1 | tail -1
  else
    world="$work/world"
    rm -rf "$world"
    "$binary" generate --scenario "$here/scenarios/demo.yaml" --out "$world" --days 91 \
      --orders-per-day "$per_day" 2>&1 | tail -1
  fi
  for layout in ${LAYOUTS:-drop rewrite}; do
  rm -rf "$work/data" "$work/new" "$work/full" "$work/stored-90"
  echo "- layout $layout"
  # The 90 days, and the new day's rows (the per-order tables by their order's day, inventory
  # and supply by their own), each in the world's row order. drop: data/<table>/part-0.parquet
  # and new/<table>.parquet; rewrite: data/<table>.parquet and new/<table>.parquet with all 91.
  statements=("CREATE TEMP TABLE early AS SELECT order_id FROM read_parquet('$world/orders.parquet') WHERE order_date < DATE '$last_day'")
  mkdir -p "$work/data" "$work/new"
  for table in "${tables[@]}"; do
    case "$table" in
      orders) early="order_date < DATE '$last_day'" ;;
      inventory) early="date < DATE '$last_day'" ;;
      supply_hourly) early="hour < TIMESTAMP '$last_day'" ;;
      change_log) early="TRUE" ;;
      *) early="order_id IN (SELECT order_id FROM early)" ;;
    esac
    rows="SELECT *, file_row_number AS cx_row FROM read_parquet('$world/$table.parquet')"
    part() { echo "COPY (SELECT * EXCLUDE (cx_row) FROM ($rows) WHERE $1 ORDER BY cx_row) TO '$2' (FORMAT parquet)"; }
    if [ "$layout" = drop ]; then
      mkdir -p "$work/data/$table"
      statements+=("$(part "$early" "$work/data/$table/part-0.parquet")")
      [ "$table" != change_log ] && statements+=("$(part "NOT ($early)" "$work/new/$table.parquet")")
    else
      statements+=("$(part "$early" "$work/data/$table.parquet")")
      statements+=("$(part TRUE "$work/new/$table.parquet")")
    fi
  done
  "$sql" "${statements[@]}"
  # The stored results of the 90 days (a full analysis that keeps the refresh state).
  read -r wall cpu < <(timed "$work/first.log" --data "$work/data" --incremental \
    --out "$work/first.json")
  echo "90 days, analyze --incremental with no stored results (full): ${wall} s wall, ${cpu} CPU-s"
  cp -a "$work/data/.cxagent" "$work/stored-90"
  for table in "${tables[@]}"; do
    if [ "$layout" = drop ]; then
      [ "$table" = change_log ] && continue
      cp "$work/new/$table.parquet" "$work/data/$table/part-1.parquet"
    else
      cp "$work/new/$table.parquet" "$work/data/$table.parquet"
    fi
  done
  mkdir -p "$work/full"
  for entry in "$work/data"/*; do cp -a "$entry" "$work/full/"; done

  best_full="" best_full_cpu="" best_refresh="" best_refresh_cpu=""
  for round in $(seq 1 "${ROUNDS:-3}"); do
    rm -rf "$work/full/.cxagent"
    read -r wall cpu < <(timed "$work/full.log" --data "$work/full" --out "$work/full.json")
    echo "round $round: full analysis of 91 days: ${wall} s wall, ${cpu} CPU-s (load $(cut -d' ' -f1-3 /proc/loadavg))"
    if [ -z "$best_full" ] || awk "BEGIN{exit !($wall < $best_full)}"; then
      best_full=$wall best_full_cpu=$cpu
    fi
    rm -rf "$work/data/.cxagent"
    cp -a "$work/stored-90" "$work/data/.cxagent"
    read -r wall cpu < <(timed "$work/refresh.log" --data "$work/data" --incremental \
      --out "$work/refresh.json")
    echo "round $round: refresh with the new day: ${wall} s wall, ${cpu} CPU-s (load $(cut -d' ' -f1-3 /proc/loadavg))"
    if [ -z "$best_refresh" ] || awk "BEGIN{exit !($wall < $best_refresh)}"; then
      best_refresh=$wall best_refresh_cpu=$cpu
      cp "$work/refresh.log" "$work/best-refresh.log"
    fi
  done
  echo "refresh stages (faster round):"
  grep -E "analyze:|rca: INC" "$work/best-refresh.log" | sed 's/^[0-9-]* [0-9:.]* info /  /'
  awk -v r="$best_refresh" -v f="$best_full" -v rc="$best_refresh_cpu" -v fc="$best_full_cpu" \
    'BEGIN { printf "refresh / full: wall %.2f / %.2f s = %.0f%%, CPU %.2f / %.2f s = %.0f%% (bar: <= 15%%)\n", r, f, 100 * r / f, rc, fc, 100 * rc / fc }'
  python3 - "$work/refresh.json" "$work/full.json" <<'PY'
import json, sys
def same(a, b, path, out):
    if isinstance(a, bool) or isinstance(b, bool) or not isinstance(a, (int, float)) \
            or not isinstance(b, (int, float)):
        if type(a) is not type(b):
            out.append(path)
        elif isinstance(a, dict):
            if set(a) != set(b):
                out.append(path)
            for key in set(a) & set(b):
                same(a[key], b[key], f"{path}/{key}", out)
        elif isinstance(a, list):
            if len(a) != len(b):
                out.append(path)
            for i, (x, y) in enumerate(zip(a, b)):
                same(x, y, f"{path}[{i}]", out)
        elif a != b:
            out.append(path)
    elif abs(a - b) > 1e-9 * max(1.0, abs(a), abs(b)):
        out.append(path)
differences = []
same(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), "", differences)
print("refresh output equals the full analysis" if not differences else
      f"refresh output DIFFERS from the full analysis at {len(differences)} places, e.g. "
      + ", ".join(differences[:5]))
sys.exit(1 if differences else 0)
PY
  done
done
