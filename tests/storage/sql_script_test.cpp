#include "storage/sql_script.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "common/file.hpp"
#include "storage/duckdb.hpp"
#include "support/test_support.hpp"

namespace cxagent::storage {
namespace {

using testing::ErrorMessage;
using testing::TempDir;

TEST(SqlScriptTest, PlaceholdersAreReplacedInsideLiteralsWithQuotesDoubled) {
  EXPECT_EQ(ExpandSqlScript("SELECT '${a}/x', '${b_2}'; -- $1 and $ {a} stay\n", "f.sql",
                            {{"a", "/tmp/it's"}, {"b_2", "two"}}),
            "SELECT '/tmp/it''s/x', 'two'; -- $1 and $ {a} stay\n");
}

TEST(SqlScriptTest, AMissingValueNamesTheLineAndTheOption) {
  EXPECT_EQ(ErrorMessage([] { ExpandSqlScript("SELECT 1;\nSELECT '${out}';\n", "f.sql", {}); }),
            "f.sql: line 2: ${out} has no value (give it with --set out=VALUE)");
}

TEST(SqlScriptTest, AMalformedPlaceholderIsRejected) {
  for (const char* text : {"SELECT '${}'", "SELECT '${Out}'", "SELECT '${out'", "SELECT '${"}) {
    EXPECT_EQ(ErrorMessage([&] {
                ExpandSqlScript(text, "f.sql", {{"out", "x"}});
              }),
              "f.sql: line 1: '${' must be followed by a name (lower-case letters, digits, _) "
              "and '}'")
        << text;
  }
}

TEST(SqlScriptTest, AValueTheScriptNeverUsesIsRejected) {
  EXPECT_EQ(ErrorMessage([] {
              ExpandSqlScript("SELECT '${out}'", "f.sql", {{"out", "x"}, {"wrold", "y"}});
            }),
            "--set wrold: f.sql has no ${wrold}");
}

TEST(SqlScriptTest, RunsEveryStatementOfTheScript) {
  TempDir dir;
  const std::string script =
      dir.Write("make.sql",
                "CREATE TABLE t AS SELECT 1 AS x;\n"
                "COPY (SELECT x + 1 AS y FROM t) TO '${out}/t.csv' (FORMAT csv, HEADER true);\n");
  Database database;
  Connection connection(database);
  RunSqlScript(connection, script, {{"out", dir.Path().string()}});
  EXPECT_EQ(ReadFile(dir.File("t.csv")), "y\n2\n");
}

TEST(SqlScriptTest, AFailingStatementNamesTheScript) {
  TempDir dir;
  const std::string script = dir.Write("make.sql", "SELECT * FROM read_parquet('${in}');\n");
  Database database;
  Connection connection(database);
  const std::string message = ErrorMessage(
      [&] {
        RunSqlScript(connection, script, {{"in", dir.File("none.parquet")}});
      },
      ErrorType::IO);
  EXPECT_TRUE(message.starts_with(script + ": ")) << message;
  EXPECT_NE(message.find("none.parquet"), std::string::npos) << message;
}

TEST(SqlScriptTest, AMissingScriptIsNotFoundAndAFolderIsRejected) {
  TempDir dir;
  Database database;
  Connection connection(database);
  EXPECT_EQ(ErrorMessage([&] { RunSqlScript(connection, dir.File("none.sql"), {}); },
                         ErrorType::NOT_FOUND),
            "file not found: " + dir.File("none.sql"));
  EXPECT_EQ(ErrorMessage([&] { RunSqlScript(connection, dir.Path().string(), {}); }),
            dir.Path().string() + ": is a folder; expected a SQL file");
}

}  // namespace
}  // namespace cxagent::storage
