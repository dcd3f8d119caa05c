#!/usr/bin/env bash
# Times `cxagent analyze` end to end (wall, peak RSS, time per stage) on generated worlds of about
# 1M and 10M orders with three incidents (the demo scenario at 11,100 and 111,000 orders/day over
# 90 days), and reports how the incidents compare with truth.json. Bars (quality.md): 1M < 5 s,
# 10M < 30 s with peak RSS < 4 GiB. Usage: bench/analyze.sh [BUILD_DIR] [ORDERS_PER_DAY...]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
shift || true
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(11100 111000)
binary="$build/cxagent"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for per_day in "${sizes[@]}"; do
rm -rf "$work/world"
echo "-- demo world at $per_day orders/day"
"$binary" generate --scenario "$here/scenarios/demo.yaml" --out "$work/world" \
  --orders-per-day "$per_day" 2>&1 | tail -1
/usr/bin/time -v "$binary" analyze --data "$work/world" --out "$work/analysis.json" \
  2> "$work/time.txt" > /dev/null || { cat "$work/time.txt"; exit 1; }
grep -E "analyze:|rca:|recommend:" "$work/time.txt" || true
wall="$(grep 'Elapsed (wall clock)' "$work/time.txt" | awk '{print $NF}')"
rss="$(grep 'Maximum resident set size' "$work/time.txt" | awk '{print $NF}')"
echo "analyze: wall ${wall} (m:ss), peak RSS $((rss / 1024)) MiB"
python3 - "$work/analysis.json" "$work/world/truth.json" <<'PY'
import datetime, json, sys
analysis = json.load(open(sys.argv[1]))
truth = json.load(open(sys.argv[2]))
day = lambda text: datetime.date.fromisoformat(text)
print(f"orders {analysis['data']['orders']}, incidents {len(analysis['incidents'])}")
for expected in truth["incidents"]:
    match = [i for i in analysis["incidents"]
             if abs((day(i["start_date"]) - day(expected["start_date"])).days) <= 2
             and i["slices"] and i["slices"][0]["slice"] == expected["slice"]]
    found = match[0]["id"] if match else "MISSED"
    print(f"  {expected['id']:24s} {expected['start_date']} {json.dumps(expected['slice']):45s} {found}")
PY
done
