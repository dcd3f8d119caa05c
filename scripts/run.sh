#!/usr/bin/env bash
# `make run`: generates the demo world under data/demo if it is absent, analyses it when it has no
# stored results yet, then serves the API and the dashboard on http://127.0.0.1:8080 (HOST and PORT
# override) until Ctrl-C.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DATA="${DATA:-data/demo}"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8080}"

if [ ! -f "$DATA/truth.json" ]; then
  echo "run: generating the demo world in $DATA (scenarios/demo.yaml)" >&2
  mkdir -p "$DATA"
  build/cxagent generate --scenario scenarios/demo.yaml --out "$DATA"
fi
if [ ! -f "$DATA/.cxagent/results.duckdb" ]; then
  echo "run: analysing $DATA (analysis file: $DATA/analysis.json)" >&2
  build/cxagent analyze --data "$DATA" --out "$DATA/analysis.json"
fi
echo "run: serving http://$HOST:$PORT/ (Ctrl-C to stop)" >&2
exec build/cxagent serve --data "$DATA" --host "$HOST" --port "$PORT"
