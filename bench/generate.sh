#!/usr/bin/env bash
# Generation throughput: 10M orders (the scenarios/clean.yaml world at 111,112 orders a day over
# 90 days), end to end including Parquet writing, into a temporary folder that is removed after.
# The bar (docs/quality.md): >= 500k orders/s, 10M orders in under 20 s.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${CXAGENT:-$ROOT/build/cxagent}"
ORDERS_PER_DAY="${ORDERS_PER_DAY:-111112}"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
start=$(date +%s.%N)
"$BIN" generate --scenario "$ROOT/scenarios/clean.yaml" --out "$OUT" --orders-per-day "$ORDERS_PER_DAY" 2>"$OUT/.log"
end=$(date +%s.%N)
orders=$(sed -n 's/^generated \([0-9]*\) orders.*/\1/p' "$OUT/.log")
awk -v o="$orders" -v s="$start" -v e="$end" \
  'BEGIN { t = e - s; printf "generate: %d orders in %.2f s = %.0f orders/s (bar: >= 500000)\n", o, t, o / t }'
du -sh "$OUT" | awk '{ print "generate: output size " $1 }'
