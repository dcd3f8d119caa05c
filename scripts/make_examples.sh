#!/usr/bin/env bash
# Makes the example exports of examples/ from a generated world: generates examples/world.yaml
# into examples/world/ (the contract-shaped original, kept for comparison), then runs each
# example's recipe (examples/<name>/make.sql, through the hidden `cxagent sql`) into
# examples/<name>/data/, where its dataset.yaml reads it. Nothing it writes is committed.
#   scripts/make_examples.sh [NAME...]     (default: every example)
# Then, for instance:
#   build/cxagent analyze --data examples/ops-csv/data --dataset examples/ops-csv/dataset.yaml
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CXAGENT="${CXAGENT:-build/cxagent}"
if [ ! -x "$CXAGENT" ]; then
  echo "make_examples: $CXAGENT not found; build first (make build)" >&2
  exit 2
fi
NAMES=("$@")
if [ ${#NAMES[@]} -eq 0 ]; then
  for recipe in examples/*/make.sql; do NAMES+=("$(basename "$(dirname "$recipe")")"); done
fi
for name in "${NAMES[@]}"; do
  if [ ! -f "examples/$name/make.sql" ]; then
    echo "make_examples: no example '$name' (examples/$name/make.sql)" >&2
    exit 2
  fi
done

WORLD="examples/world"
echo "make_examples: generating $WORLD (examples/world.yaml)" >&2
"$CXAGENT" generate --scenario examples/world.yaml --out "$WORLD"
for name in "${NAMES[@]}"; do
  OUT="examples/$name/data"
  echo "make_examples: $name -> $OUT" >&2
  rm -rf "$OUT"
  mkdir -p "$OUT"
  "$CXAGENT" sql "examples/$name/make.sql" --set "world=$ROOT/$WORLD" --set "out=$ROOT/$OUT"
done
