#!/usr/bin/env bash
# Scores `cxagent changepoints` on the TCPD benchmark series (F1 with a 5-point margin and
# segmentation cover, as in the TCPD paper) for the default method and every other method.
# Usage: bench/changepoints.sh [CXAGENT_BINARY] [CASES_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
binary="${1:-$root/build/cxagent}"
cases="${2:-$root/../shared/benchmarks/changepoints-tcpd}"
scorer="$(dirname "$cases")/score_changepoints.py"
[[ -x "$binary" ]] || { echo "no cxagent binary at $binary (build it first)" >&2; exit 1; }
[[ -f "$scorer" ]] || { echo "no scorer at $scorer" >&2; exit 1; }

echo "== default method (per series)"
python3 "$scorer" --cxagent "$binary" --cases "$cases"
echo
echo "== every method"
for method in pelt binseg bocpd zscore ewma; do
  printf '%-8s ' "$method"
  python3 "$scorer" --cxagent "$binary" --cases "$cases" --method "$method" | tail -n 1
done
