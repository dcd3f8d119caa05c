#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace cxagent::cli {

//! Adds every subcommand of the `cxagent` binary to `app` (the one explicit registration point).
void AddAllCommands(CLI::App& app);

//! Adds `generate`: writes the synthetic world of a scenario.
void AddGenerateCommand(CLI::App& app);
//! Adds `analyze`: detection, localization, RCA and recommendations over a data folder.
void AddAnalyzeCommand(CLI::App& app);
//! Adds `serve`: the REST API and the dashboard on one port.
void AddServeCommand(CLI::App& app);
//! Adds `localize`: generic multi-dimensional root-cause localization of a CSV of leaves.
void AddLocalizeCommand(CLI::App& app);
//! Adds `changepoints`: generic change-point detection on one series.
void AddChangepointsCommand(CLI::App& app);
//! Adds `evaluate`: scores the analysis against the truth of generated scenario worlds.
void AddEvaluateCommand(CLI::App& app);
//! Adds `check`: the data-quality report of a dataset, exit 2 on a blocking problem.
void AddCheckCommand(CLI::App& app);
//! Adds `load`: writes a dataset into a ClickHouse cluster in the sharded layout.
void AddLoadCommand(CLI::App& app);
//! Adds `sql` (hidden): runs a SQL script with ${NAME} placeholders, for the example recipes.
void AddSqlCommand(CLI::App& app);

//! Adds the options naming where the data is, shared by `analyze`, `check` and `serve`: `--data`
//! (a folder; `folder_help` says what it holds for this command) and `--dataset` (a dataset file
//! mapping a team's own exports, docs/your-data.md). Returns `--data`, for the caller to mark it
//! required.
CLI::Option* AddDataOptions(CLI::App& command, std::string& folder, std::string& dataset_file,
                            const std::string& folder_help);

//! Checks, before any work, that `path` (the value of `option`) can be written as a file: absent
//! or a regular file (InvalidInput for a folder, device, fifo or socket) in an existing folder
//! (NotFound) that this process may write in (Io). Nothing to check when `path` is empty.
void CheckOutputPath(std::string_view option, const std::string& path);

//! A validator for an integer option: decimal digits with an optional '-' and a value in
//! [min, max]; anything else (a sign on an unsigned option, an overflow, "0x10", "010" read as
//! octal) is a usage error naming the option instead of a wrapped or clamped number.
CLI::Validator IntegerIn(int64_t min, int64_t max);

//! Writes `text` to `path` atomically, or to stdout when `path` is empty.
void WriteOutput(const std::string& path, std::string_view text);

}  // namespace cxagent::cli
