#pragma once

#include <CLI/CLI.hpp>

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

//! Writes `text` to `path` atomically, or to stdout when `path` is empty.
void WriteOutput(const std::string& path, std::string_view text);

}  // namespace cxagent::cli
