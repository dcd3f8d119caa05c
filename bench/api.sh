#!/usr/bin/env bash
# Throughput and latency of the cached GET endpoints: generates a world (demo scenario, 90 days at
# 2,000 orders/day), serves it on a free loopback port and runs wrk with 32 keep-alive connections
# for 20 s against GET /api/incidents and GET /api/metrics/cx-score. Bar (quality.md): >= 5,000
# req/s, p99 < 20 ms, zero errors. Then bench/api_probe.py: pipelined requests, and /api/health
# latency beside 100 and 200 connections sending their headers a byte at a time (issue 19 bar:
# all pipelined requests answered, health under 1 s).
# Usage: bench/api.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
seconds="${2:-20}"
binary="$build/cxagent"
command -v wrk >/dev/null || { echo "bench/api.sh: wrk is missing (scripts/setup.sh installs it)" >&2; exit 1; }
work="$(mktemp -d)"
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$binary" generate --scenario "$here/scenarios/demo.yaml" --out "$work/world" --days 90 \
  --orders-per-day 2000 2>&1 | tail -1
"$binary" analyze --data "$work/world" > /dev/null 2> "$work/analyze.log" || { cat "$work/analyze.log"; exit 1; }

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$binary" serve --data "$work/world" --port "$port" --web-root "$work" > /dev/null 2> "$work/serve.log" &
server=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/api/health" > /dev/null && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$port/api/health" > /dev/null || { cat "$work/serve.log"; exit 1; }

for path in /api/incidents /api/metrics/cx-score; do
  # Warm the connection and any cache, then measure.
  curl -sf "http://127.0.0.1:$port$path" > /dev/null
  wrk -t 2 -c 32 -d "${seconds}s" --latency "http://127.0.0.1:$port$path" > "$work/wrk.txt"
  python3 - "$path" "$work/wrk.txt" <<'PY'
import re, sys
path, text = sys.argv[1], open(sys.argv[2]).read()
def ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p99 = ms(*re.search(r"99%\s+([\d.]+)(us|ms|s)", text).groups())
errors = 0
for match in re.finditer(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text):
    errors += sum(int(n) for n in match.groups())
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
errors += int(non2xx.group(1)) if non2xx else 0
verdict = "ok" if rate >= 5000 and p99 < 20 and errors == 0 else "BELOW BAR"
print(f"api: GET {path:24s} {rate:9.0f} req/s  p99 {p99:6.2f} ms  errors {errors}  [{verdict}]")
PY
done

python3 "$here/bench/api_probe.py" "$port" 100 200
