#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "common/file.hpp"
#include "storage/duckdb.hpp"
#include "support/test_support.hpp"

namespace cxagent {
namespace {

using testing::RunCxagent;

TEST(CliTest, VersionPrintsTheVersion) {
  const auto result = RunCxagent("--version");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, std::string("cxagent ") + CXAGENT_VERSION + "\n");
}

TEST(CliTest, HelpListsEverySubcommand) {
  const auto result = RunCxagent("--help");
  EXPECT_EQ(result.exit_code, 0);
  for (const char* command : {"generate", "analyze", "serve", "localize", "changepoints"}) {
    EXPECT_NE(result.out.find(command), std::string::npos) << command;
  }
}

TEST(CliTest, NoSubcommandIsBadUsage) {
  const auto result = RunCxagent("");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(result.out.empty());
  EXPECT_NE(result.err.find("A subcommand is required"), std::string::npos) << result.err;
}

TEST(CliTest, UnknownOptionIsBadUsage) {
  const auto result = RunCxagent("serve --data x --colour red");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("--colour"), std::string::npos) << result.err;
}

TEST(CliTest, MissingRequiredOptionIsBadUsage) {
  const auto result = RunCxagent("analyze");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("--data is required"), std::string::npos) << result.err;
}

TEST(CliTest, AnalyzeWithAMissingDataFolderIsBadInput) {
  const auto result = RunCxagent("analyze --data /nonexistent/data");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(result.out.empty());
  EXPECT_EQ(result.err, "cxagent: error: data folder not found: /nonexistent/data\n");
}

TEST(CliTest, ServeWithAMissingDataFolderIsBadInput) {
  const auto result = RunCxagent("serve --data /nonexistent/data --port 0");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err, "cxagent: error: data folder not found: /nonexistent/data\n");
}

// Runs `arguments` with CXAGENT_TOKEN set to `token` (unset when empty), whatever the test
// runner's environment holds, and restores it.
testing::CommandResult RunWithToken(const std::string& token, const std::string& arguments) {
  const char* before = std::getenv("CXAGENT_TOKEN");
  const std::optional<std::string> saved =
      before ? std::optional<std::string>(before) : std::nullopt;
  if (token.empty()) {
    unsetenv("CXAGENT_TOKEN");
  } else {
    setenv("CXAGENT_TOKEN", token.c_str(), 1);
  }
  auto result = RunCxagent(arguments);
  if (saved) {
    setenv("CXAGENT_TOKEN", saved->c_str(), 1);
  } else {
    unsetenv("CXAGENT_TOKEN");
  }
  return result;
}

TEST(CliTest, ServeRefusesANonLoopbackHostWithoutATokenSayingWhy) {
  for (const char* host : {"0.0.0.0", "192.168.1.20", "::", "cx.example.com"}) {
    const auto result =
        RunWithToken("", fmt::format("serve --data /nonexistent/data --host {}", host));
    EXPECT_EQ(result.exit_code, 2) << host;
    EXPECT_EQ(result.err,
              fmt::format("cxagent: error: serve: --host {} is reachable from other machines and "
                          "no token is set, so anyone there could read and change the data; give "
                          "--token TOKEN (or set CXAGENT_TOKEN), or --insecure to serve without "
                          "one\n",
                          host));
  }
}

TEST(CliTest, ServeAcceptsANonLoopbackHostWithATokenFlagEnvironmentOrInsecure) {
  // Each passes the exposure check and stops at the next one: the missing data folder.
  const std::string missing = "cxagent: error: data folder not found: /nonexistent/data\n";
  EXPECT_EQ(RunWithToken("", "serve --data /nonexistent/data --host 0.0.0.0 --token s3cret").err,
            missing);
  EXPECT_EQ(RunWithToken("s3cret", "serve --data /nonexistent/data --host 0.0.0.0").err, missing);
  EXPECT_EQ(RunWithToken("", "serve --data /nonexistent/data --host 0.0.0.0 --insecure").err,
            missing);
  EXPECT_EQ(RunWithToken("", "serve --data /nonexistent/data --host ::1").err, missing);
  EXPECT_EQ(RunWithToken("", "serve --data /nonexistent/data --host localhost").err, missing);
}

TEST(CliTest, ServeRejectsAnOutOfRangePort) {
  const auto result = RunCxagent("serve --data /tmp --port 70000");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("--port"), std::string::npos) << result.err;
}

TEST(CliSqlTest, RunsAScriptWithItsSettingsAndIsNotListedInHelp) {
  testing::TempDir dir;
  const std::string script = dir.Write(
      "make.sql", "COPY (SELECT 42 AS answer) TO '${out}/answer.csv' (FORMAT csv, HEADER true);\n");
  const auto result = RunCxagent(fmt::format("sql {} --set out={}", script, dir.Path().string()));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(ReadFile(dir.File("answer.csv")), "answer\n42\n");
  EXPECT_EQ(RunCxagent("--help").out.find(" sql "), std::string::npos);
}

TEST(CliSqlTest, BadSettingsAreBadUsageNamingTheSetting) {
  testing::TempDir dir;
  const std::string script = dir.Write("make.sql", "SELECT '${out}';\n");
  const auto run = [&](const std::string& settings) {
    return RunCxagent(fmt::format("sql {} {}", script, settings));
  };
  auto result = run("--set out");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            "cxagent: error: --set out: expected NAME=VALUE with NAME of lower-case letters, "
            "digits and _\n");
  result = run("--set Out=x");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("--set Out=x: expected NAME=VALUE"), std::string::npos) << result.err;
  result = run("--set out=a --set out=b");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err, "cxagent: error: --set out=b: out is set twice\n");
  result = run("");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err, "cxagent: error: " + script +
                            ": line 1: ${out} has no value (give it with --set out=VALUE)\n");
  result = run("--set out=x --set world=y");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err, "cxagent: error: --set world: " + script + " has no ${world}\n");
}

TEST(CliSqlTest, AMissingScriptOrAFailingStatementIsAnError) {
  testing::TempDir dir;
  auto result = RunCxagent("sql " + dir.File("none.sql"));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err, "cxagent: error: file not found: " + dir.File("none.sql") + "\n");
  result = RunCxagent("sql");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("file is required"), std::string::npos) << result.err;
  const std::string script = dir.Write("bad.sql", "SELECT * FROM no_such_table;\n");
  result = RunCxagent("sql " + script);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(result.err.starts_with("cxagent: error: " + script + ": ")) << result.err;
  EXPECT_NE(result.err.find("no_such_table"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace cxagent

namespace cxagent {
namespace {

TEST(CliServeTest, StopsCleanlyOnSigterm) {
  testing::TempDir dir;
  // serve analyses a folder without stored results first, so it needs a real (small) world.
  const auto generated =
      testing::RunCxagent(fmt::format("generate --scenario {}/scenarios/clean.yaml --days 28 "
                                      "--orders-per-day 200 --out {}",
                                      CXAGENT_SOURCE_DIR, dir.Path().string()));
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  // Start the server, wait until it answers, send SIGTERM and report its exit status.
  const std::string script = fmt::format(
      "sh -c '{} serve --data {} --port 0 --log-level warn & pid=$!; "
      "for i in $(seq 1 100); do grep -q dashboard {} 2>/dev/null && break; sleep 0.1; done; "
      "kill -TERM $pid; wait $pid; echo exit=$?'",
      CXAGENT_BINARY, dir.Path().string(), dir.File("log"));
  const std::string command = script + " 2>" + dir.File("log");
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char buffer[256] = {};
  std::string output;
  while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr) output += buffer;
  pclose(pipe);
  EXPECT_EQ(output, "exit=0\n");
}

}  // namespace
}  // namespace cxagent
