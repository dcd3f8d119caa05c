#!/usr/bin/env bash
# The clang build with AddressSanitizer + UndefinedBehaviorSanitizer (build-san) and what runs in
# it: the C++ tests and the libFuzzer targets of fuzz/ (docs/fuzzing.md).
#
#   scripts/fuzz.sh build        configure (once) and build cxagent, the tests and the fuzzers
#   scripts/fuzz.sh test         the C++ tests under the sanitizers (the subset in SAN_TEST_EXCLUDE
#                                is left out, see docs/fuzzing.md); ends with CTest's summary
#   scripts/fuzz.sh brief        each fuzzer over its seed corpus, then FUZZ_BRIEF_SECONDS (10) of
#                                fuzzing; ends with "fuzz: N passed, M failed"
#   scripts/fuzz.sh [long] [T..] each fuzzer (or the named ones) for FUZZ_SECONDS (600), with a
#                                corpus kept in build-san/fuzz-corpus; reports executions and
#                                coverage per target
#
# A crash, sanitizer report, leak or hang stops that target; the input is saved in
# fuzz/findings/<target>/ (not committed) and replayed with: build-san/fuzz_<target> FILE
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SAN="${SAN_BUILD_DIR:-$ROOT/build-san}"
JOBS="${JOBS:-$(nproc)}"
FUZZ_SECONDS="${FUZZ_SECONDS:-600}"
FUZZ_BRIEF_SECONDS="${FUZZ_BRIEF_SECONDS:-10}"
# Tests left out of the sanitizer run to keep `make test` within CI's time (docs/fuzzing.md says
# which and why); a CTest regular expression over "Suite.Test" names. SAN_TEST_EXCLUDE= (empty)
# runs every test under the sanitizers.
SAN_TEST_EXCLUDE="${SAN_TEST_EXCLUDE-AnalyzeGeneratedTest|AnalyzeDemoTest|AnalyzeCleanTest|SuiteScenarioTest|RcaGeneratedTest|RecommendRevertTest|EvaluateRun\.|EvaluateCommand\.|IncrementalTest\.|OpenIncidentTest\.|ClickHouseAnalysisTest\.|ClickHouseFactsTest\.|ClickHouseLoadTest\.|PartialDataTest\.|ExamplesTest\.}"
cd "$ROOT"

# Every sanitizer report is fatal (UBSan is also built with -fno-sanitize-recover=all).
export ASAN_OPTIONS="${ASAN_OPTIONS:-check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$ROOT/fuzz/lsan.supp:print_suppressions=0}"

targets() {
  for source in fuzz/*_fuzz.cpp; do
    local name="${source#fuzz/}"
    echo "${name%_fuzz.cpp}"
  done
}

build() {
  local started=$SECONDS
  if [ ! -f "$SAN/build.ninja" ]; then
    local launcher=()
    command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    # -O1 and line tables only: the usual sanitizer settings, and a third faster to compile
    # than RelWithDebInfo's -O2 -g on this code.
    cmake -S . -B "$SAN" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
      -DCXAGENT_SANITIZE=ON -DCXAGENT_FUZZ=ON "${launcher[@]}" || return 1
  fi
  cmake --build "$SAN" -j "$JOBS" --target cxagent cxagent_tests fuzzers || return 1
  echo "sanitizer build: $((SECONDS - started)) s"
}

run_tests() {
  local started=$SECONDS
  local exclude=()
  [ -n "$SAN_TEST_EXCLUDE" ] && exclude=(-E "$SAN_TEST_EXCLUDE")
  ctest --test-dir "$SAN" -j "$JOBS" --output-on-failure "${exclude[@]}"
  local status=$?
  echo "sanitizer tests: $((SECONDS - started)) s"
  return $status
}

# fuzz_one TARGET SECONDS WORK_CORPUS: runs one target; prints its figures; returns its status.
fuzz_one() {
  local target="$1" seconds="$2" work="$3"
  local binary="$SAN/fuzz_$target" seeds="fuzz/corpus/$target" log="$SAN/fuzz-$target.log"
  local findings="fuzz/findings/$target"
  mkdir -p "$work" "$findings"
  local options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1
                 -artifact_prefix="$findings/")
  [ -f "fuzz/$target.dict" ] && options+=(-dict="fuzz/$target.dict")
  local started=$SECONDS
  "$binary" "${options[@]}" "$work" "$seeds" >"$log" 2>&1
  local status=$?
  local runs cov
  runs=$(grep -Eo 'stat::number_of_executed_units: [0-9]+' "$log" | awk '{print $2}')
  cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  printf '%-12s %s  %8s execs in %4d s  %s\n' "$target" \
    "$([ $status -eq 0 ] && echo ok || echo FAILED)" "${runs:-?}" $((SECONDS - started)) "${cov:-}"
  if [ $status -ne 0 ]; then
    grep -E 'FUZZ FINDING|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|Test unit written|ALARM|==[0-9]+==' \
      "$log" | head -8
    echo "  log: $log"
  fi
  return $status
}

fuzz_all() {
  local mode="$1"; shift
  local list=("$@")
  [ ${#list[@]} -eq 0 ] && mapfile -t list < <(targets)
  # Scratch files of the targets (a crashed target leaves its own); one folder per run.
  export TMPDIR="$SAN/fuzz-tmp/$$"
  rm -rf "$TMPDIR"; mkdir -p "$TMPDIR"
  local passed=0 failed=0 started=$SECONDS
  # The API target's world, generated and analyzed once by the fast build when there is one.
  local cli="$ROOT/build/cxagent"
  [ -x "$cli" ] || cli="$SAN/cxagent"
  if [[ " ${list[*]} " == *" api "* ]] && [ -x "$cli" ]; then
    export CXAGENT_FUZZ_API_WORLD="$TMPDIR/api-world"
    "$cli" generate --scenario tests/server/api_world.yaml --out "$CXAGENT_FUZZ_API_WORLD" \
      2>/dev/null && "$cli" analyze --data "$CXAGENT_FUZZ_API_WORLD" >/dev/null 2>&1 ||
      unset CXAGENT_FUZZ_API_WORLD
  fi
  for target in "${list[@]}"; do
    local seconds work
    if [ "$mode" = brief ]; then
      seconds="$FUZZ_BRIEF_SECONDS"
      work="$SAN/fuzz-brief/$target"
      rm -rf "$work"  # the tree's corpus only; what a brief run finds is not kept
    else
      seconds="$FUZZ_SECONDS"
      work="$SAN/fuzz-corpus/$target"
    fi
    if fuzz_one "$target" "$seconds" "$work"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
  done
  rm -rf "$TMPDIR"
  echo "fuzz time: $((SECONDS - started)) s"
  echo "fuzz: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

case "${1:-long}" in
  build) build ;;
  test) run_tests ;;
  brief) shift; fuzz_all brief "$@" ;;
  long) shift; fuzz_all long "$@" ;;
  *) fuzz_all long "$@" ;;
esac
