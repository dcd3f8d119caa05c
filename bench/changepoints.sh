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

echo
echo "== cross-validation: bench/changepoints_cv.cpp's port of the scorer against the script"
cv_binary="$(dirname "$binary")/cxagent_changepoints_cv"
[[ -x "$cv_binary" ]] || { echo "no $cv_binary (build it first)" >&2; exit 1; }
if diff <("$cv_binary" --cases "$cases" --series | grep -E '^[a-z_0-9]+ +n=') \
        <(python3 "$scorer" --cxagent "$binary" --cases "$cases" | grep -E ' n=' | sed 's/ [0-9]*ms$//'); then
  echo "same per-series F1, cover and change points on the defaults"
else
  echo "the port and the script disagree (above)" >&2
  exit 1
fi
echo "== leave-one-out figures (bench/changepoints_families.sh)"
CASES="$cases" CV_BINARY="$cv_binary" "$root/bench/changepoints_families.sh"

echo
echo "== speed of the default method on long series (wall time, process start included)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
# Three kinds of long series, fixed seeds: unit noise, level shifts every 5,000 points, and a
# random walk (the slowest: its inflated penalty leaves few changes).
import random, sys
out = sys.argv[1]
for n in (100000, 1000000):
    r = random.Random(n)
    with open(f"{out}/noise_{n}.csv", "w") as f:
        f.write("value\n")
        f.writelines("%.6f\n" % r.gauss(10, 2) for _ in range(n))
    with open(f"{out}/shifts_{n}.csv", "w") as f:
        f.write("value\n")
        level = 0.0
        for i in range(n):
            if i % 5000 == 0:
                level = r.gauss(0, 3)
            f.write("%.6f\n" % (level + r.gauss(0, 1)))
    with open(f"{out}/walk_{n}.csv", "w") as f:
        f.write("value\n")
        w = 0.0
        for _ in range(n):
            w += r.gauss(0, 1)
            f.write("%.6f\n" % w)
PY
for kind in noise shifts walk; do
  for n in 100000 1000000; do
    start=$(date +%s.%N)
    "$binary" changepoints --input "$work/${kind}_$n.csv" >"$work/out.json"
    end=$(date +%s.%N)
    printf '%-7s %8d points: %6.2f s, %s change points\n' "$kind" "$n" \
      "$(python3 -c "print($end - $start)")" \
      "$(python3 -c "import json; print(len(json.load(open('$work/out.json'))['changepoints']))")"
  done
done
