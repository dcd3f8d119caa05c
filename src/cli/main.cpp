#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <malloc.h>

#include <cstdio>
#include <exception>

#include "cli/commands.hpp"
#include "common/error.hpp"
#include "common/log.hpp"

int main(int argc, char** argv) {
  // Large buffers (query results, the cube, model data) come and go all through an analysis; kept
  // in the heap instead of mapped and unmapped each time, their pages are faulted in once.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  CLI::App app{
      "cxagent: finds customer-experience regressions in fulfillment data, explains them "
      "and recommends tested, costed actions",
      "cxagent"};
  app.set_version_flag("--version", "cxagent " CXAGENT_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // global options such as --log-level may follow the subcommand
  std::string log_level = "info";
  app.add_option("--log-level", log_level,
                 "Logging on stderr: trace (debug plus every SQL statement in full), debug, info, "
                 "warn, error, off");
  try {
    cxagent::cli::AddAllCommands(app);
    app.parse_complete_callback([&] { cxagent::InitLogging(log_level); });
    app.parse(argc, argv);
    return 0;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "cxagent: error: %s\nRun with --help for usage.\n", e.what());
    return 2;
  } catch (const cxagent::Error& e) {
    std::fprintf(stderr, "cxagent: error: %s\n", e.what());
    return cxagent::ExitCode(e.Type());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cxagent: internal error: %s\n", e.what());
    return 1;
  }
}
