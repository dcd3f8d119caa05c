#!/usr/bin/env bash
# Localization accuracy and speed on the public RobustSpot "RS" cases (../shared/benchmarks):
# runs the shared scorer (exact-match micro F1) over `cxagent localize` with default settings and
# prints F1, the counts behind it and the total wall time of all cases (process start included).
# With --synthetic, also generates CX-style cases (5 dimensions, 3,456 leaves, one or two injected
# slices of depth 0-3, ratio and additive, fixed seeds) and scores them the same way.
# Usage: bench/localize.sh [--cxagent PATH] [--cases DIR] [--verbose] [--synthetic]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CXAGENT="$ROOT/build/cxagent"
CASES="$ROOT/../shared/benchmarks/localize-rs"
VERBOSE=0
SYNTHETIC=0
while [ $# -gt 0 ]; do
  case "$1" in
    --cxagent) CXAGENT="$2"; shift 2 ;;
    --cases) CASES="$2"; shift 2 ;;
    --verbose) VERBOSE=1; shift ;;
    --synthetic) SYNTHETIC=1; shift ;;
    *) echo "usage: $0 [--cxagent PATH] [--cases DIR] [--verbose] [--synthetic]" >&2; exit 2 ;;
  esac
done
SCORER="$(dirname "$CASES")/score_localize.py"
[ -x "$CXAGENT" ] || { echo "no binary at $CXAGENT; build it first (make build)" >&2; exit 1; }
[ -f "$CASES/truth.json" ] || { echo "no truth.json in $CASES" >&2; exit 1; }

score() {  # score DIR NAME
  if [ "$VERBOSE" = 1 ]; then
    python3 "$SCORER" --cxagent "$CXAGENT" --cases "$1"
  else
    python3 "$SCORER" --cxagent "$CXAGENT" --cases "$1" --json | NAME="$2" python3 -c '
import json, os, sys
r = json.load(sys.stdin)
n = len(r["cases"])
slowest = max(c["seconds"] for c in r["cases"])
print(os.environ["NAME"] + ": F1=%.3f TP=%d FP=%d FN=%d cases=%d" % (r["f1"], r["tp"], r["fp"], r["fn"], n))
print("time: total %.2f s, mean %.0f ms per case, slowest %.0f ms"
      % (r["seconds"], r["seconds"] / n * 1000, slowest * 1000))
'
  fi
}

start=$(date +%s.%N)
score "$CASES" localize-rs
end=$(date +%s.%N)
echo "wall (scorer included): $(python3 -c "print(f'{$end - $start:.2f}')") s"

if [ "$SYNTHETIC" = 1 ]; then
  WORK="$(mktemp -d)"
  trap 'rm -rf "$WORK"' EXIT
  cat >"$WORK/generate.py" <<'PY'
# CX-style leaves: per leaf, orders ~ Normal(lam, sqrt(lam)), a CX Score mean of 80-90 and a
# per-order spread of 25 points; the forecast is a 7-day mean with its own error. Injected roots
# lower the score of their orders by 3-10 points (additive cases: lower the count by that / 40).
# Labels: truth.json in the scorer's format ("" is the slice `all`).
# Usage: generate.py OUT_DIR CASES SEED ratio|additive
import random, itertools, json, os, sys, math
out=sys.argv[1]; n_cases=int(sys.argv[2]); seed=int(sys.argv[3]); kind=sys.argv[4] if len(sys.argv)>4 else 'ratio'
random.seed(seed)
dims={'region':['bay_area','los_angeles','seattle','chicago','new_york','boston','austin','atlanta'],
      'store_type':['grocery','restaurant','pharmacy','alcohol'],
      'merchant':[f'm{i}' for i in range(12)],'platform':['ios','android','web'],
      'customer_segment':['new','regular','vip']}
names=list(dims)
truth={}
os.makedirs(out,exist_ok=True)
for c in range(n_cases):
    roots=[]
    nroots=random.choice([1,1,1,2])
    while len(roots)<nroots:
        depth=random.choice([0,1,1,2,2,3]) if nroots==1 else random.choice([1,2])
        ds=sorted(random.sample(names,depth))
        s={d:random.choice(dims[d]) for d in ds}
        if any(all(r.get(k)==v for k,v in s.items()) or all(s.get(k)==v for k,v in r.items()) for r in roots): continue
        roots.append(s)
    effects=[random.uniform(3,10) for _ in roots]
    scale=random.choice([0.3,1,5])
    name=f'syn{c:03d}'
    truth[name]=["&".join(f"{k}={v}" for k,v in sorted(r.items())) if r else "" for r in roots]
    with open(f'{out}/{name}.csv','w') as f:
        if kind=='ratio': f.write(','.join(names)+',real_num,real_den,predict_num,predict_den\n')
        else: f.write(','.join(names)+',real,predict\n')
        for combo in itertools.product(*dims.values()):
            leaf=dict(zip(names,combo))
            lam=random.uniform(20,200)*scale
            mean=random.uniform(80,90)
            n_pred=lam; n=max(0,round(random.gauss(lam,math.sqrt(lam))))
            drop=sum(e for r,e in zip(roots,effects) if all(leaf[k]==v for k,v in r.items()))
            if kind=='ratio':
                num=n*(mean-drop)+random.gauss(0,25*math.sqrt(max(n,1)))
                # forecast from history: a few days' mean, with its own error
                pn=n_pred*mean+random.gauss(0,25*math.sqrt(n_pred/7))
                f.write(','.join(combo)+f',{num:.2f},{n},{pn:.2f},{n_pred:.2f}\n')
            else:
                real=random.gauss(lam*(1-drop/40),math.sqrt(lam)); f.write(','.join(combo)+f',{real:.2f},{lam:.2f}\n')
json.dump(truth,open(f'{out}/truth.json','w'),indent=0)
PY
  python3 "$WORK/generate.py" "$WORK/ratio" 60 11 ratio
  python3 "$WORK/generate.py" "$WORK/additive" 40 12 additive
  score "$WORK/ratio" synthetic-ratio
  score "$WORK/additive" synthetic-additive
fi
