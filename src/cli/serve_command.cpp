#include <cstdio>

#include "cli/commands.hpp"
#include "common/error.hpp"
#include "pipeline/analysis.hpp"
#include "server/refresh_scheduler.hpp"
#include "server/server.hpp"

namespace cxagent::cli {

void AddServeCommand(CLI::App& app) {
  auto* command = app.add_subcommand("serve", "Serve the REST API and the dashboard on one port");
  auto options = std::make_shared<server::ServerOptions>();
  auto print_openapi = std::make_shared<bool>(false);
  options->web_root = CXAGENT_DEFAULT_WEB_ROOT;
  AddDataOptions(*command, options->data_dir, options->dataset_file,
                 "Data folder (as written by generate); analyzed first when it has no stored "
                 "results");
  command->add_option("--results", options->results_dir,
                      "Folder to keep the results, triage states and feedback in; required with "
                      "--data clickhouse://..., which has no folder (default: --data)");
  command->add_option("--schedule", options->schedule,
                      "Re-analyse every day at HH:MM local time (set TZ, e.g. "
                      "TZ=America/Los_Angeles, to the data's market time)");
  command->add_flag("--watch", options->watch,
                    "Re-analyse when the data's files change (after they hold still 5 s)");
  command->add_option("--config", options->config_path,
                      "Analysis configuration (YAML) for the analyses the server runs");
  command
      ->add_option("--host", options->host,
                   "Address to bind; an address other machines reach needs --token (or "
                   "--insecure)")
      ->capture_default_str();
  command->add_option("--port", options->port, "TCP port (0 picks a free one)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  command->add_option("--web-root", options->web_root, "Folder of the built dashboard")
      ->capture_default_str();
  command
      ->add_option("--token", options->token,
                   "Require 'Authorization: Bearer TOKEN' on every /api route that reads or "
                   "changes data")
      ->envname("CXAGENT_TOKEN");
  command->add_flag("--insecure", options->insecure,
                    "Serve a non-loopback --host without a token (anyone who reaches it can read "
                    "and change the data)");
  command->add_option("--cors-origin", options->cors_origins,
                      "Allow cross-origin requests from this origin (repeatable; off by default)");
  command
      ->add_option("--threads", options->threads,
                   "Threads that read, handle and write requests (waiting connections hold none)")
      ->check(CLI::Range(4, 1024))
      ->capture_default_str();
  command->add_flag("--openapi", *print_openapi,
                    "Print the API's OpenAPI document to stdout and exit (needs no data)");
  command->callback([options, print_openapi] {
    if (*print_openapi) {
      std::fputs((server::OpenApiDocument().dump(2) + "\n").c_str(), stdout);
      return;
    }
    if (options->data_dir.empty()) throw InvalidInput("serve: --data is required");
    // Refused before any data is read or analysed.
    server::RequireSafeExposure(*options);
    // A bad --schedule is refused before the data is read.
    if (!options->schedule.empty()) server::ParseDailyTime(options->schedule, "--schedule");
    options->simulator = server::MakeRecommendSimulator(
        pipeline::ReadAnalysisConfig(options->config_path).recommend);
    server::RunUntilSignalled(*options);
  });
}

}  // namespace cxagent::cli
