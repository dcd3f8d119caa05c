#!/usr/bin/env bash
# Runs every test suite (C++ through CTest, the web app's Vitest suite, the browser end-to-end
# test) and ends with one summary line: "total: N passed, M failed". Exits non-zero on any failure.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build"
cd "$ROOT"

passed=0
failed=0
suite_failed=()
add() { passed=$((passed + $1)); failed=$((failed + $2)); }

# --- C++ -------------------------------------------------------------------------------------
echo "== C++ tests (ctest)"
ctest_log="$BUILD/ctest.log"
ctest --test-dir "$BUILD" -j "$(nproc)" --output-on-failure 2>&1 | tee "$ctest_log"
ctest_status=${PIPESTATUS[0]}
summary=$(grep -Eo '[0-9]+ tests failed out of [0-9]+' "$ctest_log" | tail -1)
if [ -n "$summary" ]; then
  ctest_failed=$(echo "$summary" | awk '{print $1}')
  ctest_total=$(echo "$summary" | awk '{print $NF}')
  add $((ctest_total - ctest_failed)) "$ctest_failed"
fi
if [ "$ctest_status" -ne 0 ] || [ -z "$summary" ]; then
  suite_failed+=("ctest")
  [ -z "$summary" ] && add 0 1
fi

# --- Web unit tests -----------------------------------------------------------------------------
if [ -f web/package.json ]; then
  echo "== web tests (vitest)"
  report="$BUILD/vitest.json"
  rm -f "$report"
  (cd web && npx vitest run --reporter=default --reporter=json --outputFile="$report")
  vitest_status=$?
  if [ -f "$report" ]; then
    read -r vp vf < <(node -e 'const r=require(process.argv[1]);console.log(r.numPassedTests, r.numFailedTests)' "$report")
    add "$vp" "$vf"
  else
    add 0 1
  fi
  [ "$vitest_status" -ne 0 ] && suite_failed+=("vitest")

  # --- End to end in Debian's chromium, against the real server on a small generated world ----
  echo "== end-to-end (playwright-core + chromium)"
  e2e_data="$BUILD/e2e-data"
  if "$BUILD/cxagent" generate --scenario scenarios/clean.yaml --days 28 --orders-per-day 300 \
      --out "$e2e_data" >/dev/null; then
    e2e_log="$BUILD/e2e.log"
    (cd web && CXAGENT_BIN="$BUILD/cxagent" CXAGENT_DATA="$e2e_data" E2E_OUT_DIR="$BUILD" \
      node e2e/smoke.e2e.mjs) 2>&1 | tee "$e2e_log"
    e2e_status=${PIPESTATUS[0]}
    e2e_counts=$(grep -Eo 'e2e: [0-9]+ passed, [0-9]+ failed' "$e2e_log" | tail -1)
    if [ -n "$e2e_counts" ]; then
      add "$(echo "$e2e_counts" | awk '{print $2}')" "$(echo "$e2e_counts" | awk '{print $4}')"
    else
      add 0 1
    fi
    [ "$e2e_status" -ne 0 ] && suite_failed+=("e2e")
  else
    echo "could not generate the end-to-end world"
    add 0 1
    suite_failed+=("e2e")
  fi
fi

echo
if [ ${#suite_failed[@]} -gt 0 ]; then echo "failed suites: ${suite_failed[*]}"; fi
echo "total: $passed passed, $failed failed"
[ ${#suite_failed[@]} -eq 0 ] && [ "$failed" -eq 0 ]
