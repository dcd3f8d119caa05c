#!/usr/bin/env bash
# Localization accuracy and speed on the public RobustSpot "RS" cases (../shared/benchmarks):
# runs the shared scorer (exact-match micro F1) over `cxagent localize` with default settings and
# prints F1, the counts behind it and the total wall time of all cases (process start included).
# Usage: bench/localize.sh [--cxagent PATH] [--cases DIR] [--verbose]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CXAGENT="$ROOT/build/cxagent"
CASES="$ROOT/../shared/benchmarks/localize-rs"
VERBOSE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --cxagent) CXAGENT="$2"; shift 2 ;;
    --cases) CASES="$2"; shift 2 ;;
    --verbose) VERBOSE=1; shift ;;
    *) echo "usage: $0 [--cxagent PATH] [--cases DIR] [--verbose]" >&2; exit 2 ;;
  esac
done
SCORER="$(dirname "$CASES")/score_localize.py"
[ -x "$CXAGENT" ] || { echo "no binary at $CXAGENT; build it first (make build)" >&2; exit 1; }
[ -f "$CASES/truth.json" ] || { echo "no truth.json in $CASES" >&2; exit 1; }

start=$(date +%s.%N)
if [ "$VERBOSE" = 1 ]; then
  python3 "$SCORER" --cxagent "$CXAGENT" --cases "$CASES"
else
  python3 "$SCORER" --cxagent "$CXAGENT" --cases "$CASES" --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
n = len(r["cases"])
slowest = max(c["seconds"] for c in r["cases"])
print("localize-rs: F1=%.3f TP=%d FP=%d FN=%d cases=%d" % (r["f1"], r["tp"], r["fp"], r["fn"], n))
print("time: total %.2f s, mean %.0f ms per case, slowest %.0f ms"
      % (r["seconds"], r["seconds"] / n * 1000, slowest * 1000))
'
fi
end=$(date +%s.%N)
echo "wall (scorer included): $(python3 -c "print(f'{$end - $start:.2f}')") s"
