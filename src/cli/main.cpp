#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <malloc.h>

#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#include "cli/commands.hpp"
#include "common/error.hpp"
#include "common/log.hpp"

namespace {

// Every failure is one line on stderr, whatever the message holds (an engine's multi-line text,
// a NUL or other control byte, bytes that are not UTF-8, a 10 MB input line).
void PrintError(std::string_view prefix, std::string_view message, std::string_view suffix = "") {
  const std::string line =
      std::string(prefix) + cxagent::OneLine(message) + std::string(suffix) + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace

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
    PrintError("cxagent: error: ", e.what(), " (run cxagent --help for usage)");
    return 2;
  } catch (const cxagent::Error& e) {
    PrintError("cxagent: error: ", e.what());
    return cxagent::ExitCode(e.Type());
  } catch (const std::exception& e) {
    PrintError("cxagent: internal error: ", e.what());
    return 1;
  }
}
