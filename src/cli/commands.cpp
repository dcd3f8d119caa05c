#include "cli/commands.hpp"

#include <cstdio>

#include "common/error.hpp"
#include "common/file.hpp"

namespace cxagent::cli {

void AddAllCommands(CLI::App& app) {
  AddGenerateCommand(app);
  AddAnalyzeCommand(app);
  AddServeCommand(app);
  AddLocalizeCommand(app);
  AddChangepointsCommand(app);
  AddEvaluateCommand(app);
}

void WriteOutput(const std::string& path, std::string_view text) {
  if (!path.empty()) {
    WriteFileAtomic(path, text);
    return;
  }
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
    throw IoError("cannot write to stdout");
  }
}

}  // namespace cxagent::cli
