#!/usr/bin/env bash
# Installs everything cxagent needs to build, test and run, idempotently: Debian packages,
# DuckDB's official build (from the npm registry, without running any install script) and the web
# app's npm packages. A second run with everything present takes a few seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf 'setup: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    say "need root (or sudo) to run: $*"; exit 1; fi
}

# --- Debian packages ---------------------------------------------------------------------------
# clang, its sanitizer and libFuzzer runtimes (libclang-rt-14-dev) and llvm (llvm-symbolizer, for
# readable sanitizer stacks) build and run build-san (scripts/fuzz.sh); ccache speeds rebuilds;
# libssl-dev: notifications to https:// webhooks (cpp-httplib's OpenSSL client);
# clickhouse-server and clickhouse-client (Debian's 18.16): the local two-shard cluster that
# scripts/clickhouse_cluster.sh starts for the ClickHouse tests (docs/clickhouse.md).
DEBIAN_PACKAGES=(
  g++ cmake ninja-build pkg-config make python3 clang-format
  libgtest-dev libgmock-dev libbenchmark-dev
  libxgboost-dev libcpp-httplib-dev libssl-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev
  libspdlog-dev libfmt-dev libeigen3-dev libboost-dev libboost-math-dev
  nodejs npm chromium wrk
  clang libclang-rt-14-dev llvm ccache
  clickhouse-server clickhouse-client
)
missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' ||
    missing+=("$package")
done
# The machine image may ship its own Node.js and npm outside Debian's packages; use those.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for package in "${missing[@]}"; do
    case "$package" in nodejs|npm) ;; *) filtered+=("$package") ;; esac
  done
  missing=("${filtered[@]}")
fi
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  say "Debian packages present"
fi

# --- DuckDB ------------------------------------------------------------------------------------
DUCKDB_VERSION=1.4.4
DUCKDB_DIR="$ROOT/third_party/duckdb"
DUCKDB_STAMP="$DUCKDB_DIR/.version"
# Pinned packages and their SHA-256 (checked so a changed package is noticed, not used).
LIB_PACKAGE="@duckdb/node-bindings-linux-x64@1.4.4-r.4"
LIB_SHA256=732fac4dc6b8f198870b9c4bb6ddf13544466daca00ad28ba2f1d80de5d7aa4b
HEADER_PACKAGE="duckdb@1.4.4"
HEADER_SHA256=5bb967dcbcd517670ba5f169f238fb9d6787e53752c60ebe24386169d76941ed
if [ -f "$DUCKDB_DIR/lib/libduckdb.so" ] && [ -f "$DUCKDB_DIR/include/duckdb.h" ] &&
   [ "$(cat "$DUCKDB_STAMP" 2>/dev/null)" = "$DUCKDB_VERSION" ]; then
  say "DuckDB $DUCKDB_VERSION present"
else
  say "fetching DuckDB $DUCKDB_VERSION from the npm registry"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "$LIB_PACKAGE" "$HEADER_PACKAGE" >/dev/null)
  lib_tgz="$work/duckdb-node-bindings-linux-x64-1.4.4-r.4.tgz"
  header_tgz="$work/duckdb-1.4.4.tgz"
  echo "$LIB_SHA256  $lib_tgz" | sha256sum -c --quiet -
  echo "$HEADER_SHA256  $header_tgz" | sha256sum -c --quiet -
  tar -xzf "$lib_tgz" -C "$work" package/libduckdb.so
  mkdir -p "$work/header"
  tar -xzf "$header_tgz" -C "$work/header" package/src/duckdb/src/include/duckdb.h
  staging="$DUCKDB_DIR.tmp"
  rm -rf "$staging"
  mkdir -p "$staging/lib" "$staging/include"
  mv "$work/package/libduckdb.so" "$staging/lib/"
  mv "$work/header/package/src/duckdb/src/include/duckdb.h" "$staging/include/"
  echo "$DUCKDB_VERSION" > "$staging/.version"
  rm -rf "$DUCKDB_DIR"
  mv "$staging" "$DUCKDB_DIR"
  say "DuckDB $DUCKDB_VERSION installed in third_party/duckdb"
fi

# --- Web packages ------------------------------------------------------------------------------
if [ -f web/package-lock.json ]; then
  lock_hash="$(sha256sum web/package-lock.json | cut -d' ' -f1)"
  if [ -d web/node_modules ] && [ "$(cat web/node_modules/.cxagent-lock 2>/dev/null)" = "$lock_hash" ]; then
    say "web packages present"
  else
    say "installing web packages (npm ci)"
    (cd web && npm ci --no-audit --no-fund --loglevel=error)
    echo "$lock_hash" > web/node_modules/.cxagent-lock
  fi
fi
say "done"
