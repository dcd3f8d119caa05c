#!/usr/bin/env bash
# The cube stage beside DuckDB's own GROUP BY (quality.md: within 2x) on ~1M generated orders
# (the demo scenario at 11,100 orders/day over 90 days): prints both times and their ratio.
# Usage: bench/cube.sh [BUILD_DIR] [ORDERS_PER_DAY]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
per_day="${2:-11100}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$build/cxagent" generate --scenario "$here/scenarios/demo.yaml" --out "$work/world" \
  --orders-per-day "$per_day" 2>&1 | tail -1
CXAGENT_BENCH_DATA="$work/world" "$build/cxagent_bench" --benchmark_filter='SliceCube|PlainGroupingSets' \
  --benchmark_format=json > "$work/cube.json"
python3 - "$work/cube.json" <<'PY'
import json, sys
runs = {b["name"].split("/")[0]: b["real_time"] for b in json.load(open(sys.argv[1]))["benchmarks"]}
cube, plain = runs["BM_SliceCube"], runs["BM_DuckDbPlainGroupingSets"]
print(f"cube stage {cube:.0f} ms, DuckDB plain GROUPING SETS {plain:.0f} ms, "
      f"ratio {cube / plain:.2f} (bar: <= 2)")
PY
