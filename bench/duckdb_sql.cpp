// Runs SQL statements on an in-memory DuckDB (the project's own build of it), for benchmark
// scripts that derive data from generated worlds (bench/incremental.sh cuts the last day off).
// Usage: cxagent_sql 'STATEMENT; ...' [...]; prints nothing, exits 1 with DuckDB's message.
#include <cstdio>

#include "common/error.hpp"
#include "storage/duckdb.hpp"

int main(int argc, char** argv) {
  try {
    cxagent::storage::Database database;
    cxagent::storage::Connection connection(database);
    for (int i = 1; i < argc; ++i) connection.Execute(argv[i]);
  } catch (const cxagent::Error& error) {
    std::fprintf(stderr, "cxagent_sql: %s\n", error.what());
    return 1;
  }
  return 0;
}
