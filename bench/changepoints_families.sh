#!/usr/bin/env bash
# Leave-one-out figure of each candidate change-point method family on the TCPD series (issue 16),
# run from the worktree after building cxagent_changepoints_cv. The options B-H and L use were
# removed again after this measurement (none beat the current default): run it at this commit.
set -euo pipefail
cv() {
  local out
  out="$(./build/cxagent_changepoints_cv --cases "${CASES:-../shared/benchmarks/changepoints-tcpd}" "$@")"
  echo "best $(grep "^in-sample F1" <<<"$out" | tail -n 1)"
  grep -E "^(in-sample, first|chosen|cross)" <<<"$out"
}
R="min_size=5,2,3,8 max_autocorrelation=0.95,0.9,0.99"
echo "## A current family: penalty x log n";        cv penalty=7,3,4,5,6,8,10,12 $R
echo "## B A + min_size_fraction";                   cv penalty=7,3,4,5,6,8,10,12 $R min_size_fraction=0,0.02,0.05,0.1,0.15
echo "## C penalty x log log n (Hannan-Quinn)";      cv penalty_form=2 penalty=20,5,7,10,15,25,30,40 $R
echo "## D constant penalty";                        cv penalty_form=1 penalty=40,10,20,30,50,60 $R
echo "## E penalty x sqrt n";                        cv penalty_form=3 penalty=3,1,2,5,7 $R
echo "## F A + rho bias correction";                 cv rho_bias_correction=1 penalty=5,3,4,6,7,8,10,12 $R
echo "## G A + finite-span AR(1) factor";            cv penalty=7,3,4,5,6,8,10,12 $R inflation_span=0,1,0.5,0.25
echo "## H A, first pass already inflated";          cv inflate_start=1 penalty=1.5,1,2,3,5,7 $R
echo "## I A + noise_lag";                           cv penalty=7,3,4,5,6,8,10,12 $R noise_lag=1,2,3,5
echo "## J linear segments";                         cv model=1 penalty=3,2,4,5,7 min_size=12,5,8,15 max_autocorrelation=0.99,0.95,0.999 min_size_fraction=0.02,0,0.05
echo "## K mean and variance segments";              cv model=2 penalty=5,2,3,4,7,10 $R
echo "## L A or C or D (the penalty form chosen in each fold)"; cv penalty=7,3,4,5,6,8,10,12 $R --or penalty_form=2 penalty=20,5,7,10,15,25,30,40 $R --or penalty_form=1 penalty=40,10,20,30,50,60 $R
echo "## M A or J (the segment model chosen in each fold)"; cv penalty=7,3,4,5,6,8,10,12 $R --or model=1 penalty=3,2,4,5,7 min_size=12,5,8,15 max_autocorrelation=0.99,0.95,0.999 min_size_fraction=0.02,0,0.05
