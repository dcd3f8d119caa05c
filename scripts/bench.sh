#!/usr/bin/env bash
# `make bench`: runs every benchmark script in bench/ (each prints its own figures; cube.sh runs the
# Google Benchmark binary on generated data). Benchmarks are measurements, not tests: they print figures.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
shopt -s nullglob
for script in bench/*.sh; do
  echo "== $script"
  bash "$script"
done
