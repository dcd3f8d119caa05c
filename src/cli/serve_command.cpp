#include "cli/commands.hpp"
#include "server/server.hpp"

namespace cxagent::cli {

void AddServeCommand(CLI::App& app) {
  auto* command = app.add_subcommand("serve", "Serve the REST API and the dashboard on one port");
  auto options = std::make_shared<server::ServerOptions>();
  options->web_root = CXAGENT_DEFAULT_WEB_ROOT;
  command->add_option("--data", options->data_dir, "Data folder (as written by generate)")
      ->required();
  command->add_option("--host", options->host, "Address to bind")->capture_default_str();
  command->add_option("--port", options->port, "TCP port (0 picks a free one)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  command->add_option("--web-root", options->web_root, "Folder of the built dashboard")
      ->capture_default_str();
  command
      ->add_option("--token", options->token,
                   "Require 'Authorization: Bearer TOKEN' on every /api route")
      ->envname("CXAGENT_TOKEN");
  command->add_option("--cors-origin", options->cors_origins,
                      "Allow cross-origin requests from this origin (repeatable; off by default)");
  command->callback([options] { server::RunUntilSignalled(*options); });
}

}  // namespace cxagent::cli
