#!/usr/bin/env bash
# Times root-cause analysis on a generated world of about 1M orders with three incidents (the demo
# scenario at 11,100 orders/day over 90 days): runs `cxagent analyze` and prints the RCA stage's
# time per incident and in total from the log, with each incident's top cause against truth.json.
# The world is kept in BUILD_DIR/bench-rca-world and reused when present.
# Usage: bench/rca.sh [BUILD_DIR] [ORDERS_PER_DAY]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
per_day="${2:-11100}"
binary="$build/cxagent"
world="$build/bench-rca-world-$per_day"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

if [ ! -f "$world/truth.json" ]; then
  "$binary" generate --scenario "$here/scenarios/demo.yaml" --out "$world" \
    --orders-per-day "$per_day" 2>&1 | tail -1
fi
"$binary" analyze --data "$world" --out "$world/analysis.json" 2> "$log" > /dev/null ||
  { cat "$log"; exit 1; }
grep -E "analyze: order facts|rca: INC|root causes" "$log" | sed -E 's/^[0-9-]+ [0-9:.]+ info //'
python3 - "$world/analysis.json" "$world/truth.json" "$log" <<'PY'
import datetime, json, re, sys
analysis = json.load(open(sys.argv[1]))
truth = json.load(open(sys.argv[2]))
log = open(sys.argv[3]).read()
day = lambda text: datetime.date.fromisoformat(text)
times = [float(t) for t in re.findall(r"rca: INC-\d+ in ([0-9.]+) s", log)]
stage = re.findall(r"root causes of \d+ incidents in ([0-9.]+) s", log)
print(f"orders {analysis['data']['orders']}, incidents {len(analysis['incidents'])}")
if times:
    print(f"rca per incident: max {max(times):.2f} s, mean {sum(times)/len(times):.2f} s (bar: < 3 s)")
if stage:
    print(f"rca stage total: {float(stage[0]):.2f} s")
for expected in truth["incidents"]:
    match = [i for i in analysis["incidents"]
             if abs((day(i["start_date"]) - day(expected["start_date"])).days) <= 2
             and i["slices"] and i["slices"][0]["slice"] == expected["slice"]]
    top = match[0]["rca"]["causes"][0] if match and match[0].get("rca", {}).get("causes") else None
    found = f"{match[0]['id']} -> {top['cause']} ({top['confidence']:.2f})" if top else "MISSED"
    mark = "ok " if top and top["cause"] == expected["cause"] else "BAD"
    print(f"  {mark} {expected['id']:22s} {expected['cause']:28s} {found}")
PY
