#!/usr/bin/env bash
# Runs every test suite (C++ through CTest, the ClickHouse cluster test, the web app's Vitest
# suite, the browser end-to-end test, then the C++ tests again under AddressSanitizer +
# UndefinedBehaviorSanitizer and each fuzzer briefly, scripts/fuzz.sh) and ends with one summary
# line: "total: N passed, M failed". Exits non-zero on any failure.
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

# --- ClickHouse: the local two-shard cluster and the sharded layout (docs/clickhouse.md) -------
# Counts its "clickhouse: N passed, M failed"; without clickhouse-server it says it is skipped
# and counts nothing. Time-boxed: it takes a few seconds.
echo "== ClickHouse cluster test (two local shards)"
clickhouse_log="$BUILD/clickhouse-test.log"
timeout 120 tests/storage/clickhouse_cluster_test.sh "$BUILD/cxagent" 2>&1 | tee "$clickhouse_log"
clickhouse_status=${PIPESTATUS[0]}
counts=$(grep -Eo 'clickhouse: [0-9]+ passed, [0-9]+ failed' "$clickhouse_log" | tail -1)
if [ -n "$counts" ]; then
  add "$(echo "$counts" | awk '{print $2}')" "$(echo "$counts" | awk '{print $4}')"
elif ! grep -q '^clickhouse: skipped' "$clickhouse_log"; then
  add 0 1
fi
[ "$clickhouse_status" -ne 0 ] && suite_failed+=("clickhouse")

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

  # --- Generated API types must match the server's OpenAPI document ------------------------
  echo "== web API types (check:api)"
  if (cd web && npm run --silent check:api); then add 1 0; else add 0 1; suite_failed+=("check:api"); fi

  # --- End to end in Debian's chromium, against the real server on small generated worlds ----
  # run_e2e NAME SCRIPT DATA: runs one end-to-end script and counts its "e2e: N passed, M failed".
  run_e2e() {
    local name="$1" script="$2" data="$3" log="$BUILD/e2e-$1.log"
    (cd web && CXAGENT_BIN="$BUILD/cxagent" CXAGENT_DATA="$data" E2E_OUT_DIR="$BUILD" \
      node "$script") 2>&1 | tee "$log"
    local status=${PIPESTATUS[0]}
    local counts
    counts=$(grep -Eo 'e2e: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
    if [ -n "$counts" ]; then
      add "$(echo "$counts" | awk '{print $2}')" "$(echo "$counts" | awk '{print $4}')"
    else
      add 0 1
    fi
    [ "$status" -ne 0 ] && suite_failed+=("e2e-$name")
  }
  # world NAME SCENARIO DAYS PER_DAY: a fresh generated and analysed world under build/.
  world() {
    local out="$BUILD/e2e-$1"
    rm -rf "$out"
    "$BUILD/cxagent" generate --scenario "scenarios/$2" --days "$3" --orders-per-day "$4" \
      --out "$out" >/dev/null && "$BUILD/cxagent" analyze --data "$out" --out "$out/analysis.json"
  }
  echo "== end-to-end: smoke (playwright-core + chromium)"
  if world clean clean.yaml 28 300; then
    run_e2e smoke e2e/smoke.e2e.mjs "$BUILD/e2e-clean"
  else
    echo "could not generate the smoke world"; add 0 1; suite_failed+=("e2e-smoke")
  fi
  echo "== end-to-end: analyst flow on the demo world"
  if world demo demo.yaml 90 1500; then
    run_e2e flow e2e/flow.e2e.mjs "$BUILD/e2e-demo"
  else
    echo "could not generate the demo world"; add 0 1; suite_failed+=("e2e-flow")
  fi
  # Generates its own world (web/e2e/notify-world.yaml) into a temporary folder: no data to pass.
  echo "== end-to-end: notifications (serve --watch, a failing webhook receiver, a restart)"
  run_e2e notify e2e/notify.e2e.mjs ""
fi

# --- Sanitizers and fuzzers (docs/fuzzing.md) ---------------------------------------------------
# One clang build (build-san) serves both, built after the main build so the two never compete.
echo "== sanitizer build (clang, ASan + UBSan, libFuzzer targets)"
if scripts/fuzz.sh build; then
  echo "== C++ tests under ASan + UBSan (ctest, build-san)"
  san_log="$ROOT/build-san/ctest.log"
  scripts/fuzz.sh test 2>&1 | tee "$san_log"
  san_status=${PIPESTATUS[0]}
  summary=$(grep -Eo '[0-9]+ tests failed out of [0-9]+' "$san_log" | tail -1)
  if [ -n "$summary" ]; then
    add $(($(echo "$summary" | awk '{print $NF}') - $(echo "$summary" | awk '{print $1}'))) \
      "$(echo "$summary" | awk '{print $1}')"
  else
    add 0 1
  fi
  [ "$san_status" -ne 0 ] && suite_failed+=("ctest-sanitizers")

  echo "== fuzzers, briefly, on their seed corpora"
  fuzz_log="$ROOT/build-san/fuzz-brief.log"
  scripts/fuzz.sh brief 2>&1 | tee "$fuzz_log"
  fuzz_status=${PIPESTATUS[0]}
  counts=$(grep -Eo 'fuzz: [0-9]+ passed, [0-9]+ failed' "$fuzz_log" | tail -1)
  if [ -n "$counts" ]; then
    add "$(echo "$counts" | awk '{print $2}')" "$(echo "$counts" | awk '{print $4}')"
  else
    add 0 1
  fi
  [ "$fuzz_status" -ne 0 ] && suite_failed+=("fuzz")
else
  echo "the sanitizer build failed"; add 0 1; suite_failed+=("sanitizer-build")
fi

echo
if [ ${#suite_failed[@]} -gt 0 ]; then echo "failed suites: ${suite_failed[*]}"; fi
echo "total: $passed passed, $failed failed"
[ ${#suite_failed[@]} -eq 0 ] && [ "$failed" -eq 0 ]
