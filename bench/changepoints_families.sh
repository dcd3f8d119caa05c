#!/usr/bin/env bash
# Leave-one-out figures on the TCPD series (issue 16): the current default family and the other
# segment models, each with its settings chosen inside every fold by cxagent_changepoints_cv (best
# mean F1 + mean cover on the other 15 series). Prints per family the best in-sample combination,
# the first combination (the default, for family A), the choices of the folds and the LOO figure.
# The penalty families, minimum segment fraction and autocorrelation variants compared in
# docs/detectors.md were options of commit 1877c24 only (none beat family A): run this script
# there for them. Usage: bench/changepoints_families.sh (from the worktree, after a build)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cases="${CASES:-$root/../shared/benchmarks/changepoints-tcpd}"
cv() {
  local out
  out="$("${CV_BINARY:-$root/build/cxagent_changepoints_cv}" --cases "$cases" "$@")"
  echo "best $(grep "^in-sample F1" <<<"$out" | tail -n 1)"
  grep -E "^(in-sample, first|chosen|cross)" <<<"$out"
}
R="min_size=5,2,3,8 max_autocorrelation=0.95,0.9,0.99"
J="model=1 penalty=3,2,4,5,7 min_size=12,5,8,15 max_autocorrelation=0.99,0.95"
echo "## A current family: penalty x log n (the default first)"; cv penalty=7,3,4,5,6,8,10,12 $R
echo "## I A + noise_lag";                                  cv penalty=7,3,4,5,6,8,10,12 $R noise_lag=1,2,3,5
echo "## J linear segments";                                cv $J
echo "## K mean and variance segments";                     cv model=2 penalty=5,2,3,4,7,10 $R
echo "## M A or J (the segment model chosen in each fold)";  cv penalty=7,3,4,5,6,8,10,12 $R --or $J
