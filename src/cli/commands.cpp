#include "cli/commands.hpp"

#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <filesystem>

#include "common/error.hpp"
#include "common/file.hpp"

namespace cxagent::cli {

void AddAllCommands(CLI::App& app) {
  AddGenerateCommand(app);
  AddAnalyzeCommand(app);
  AddCheckCommand(app);
  AddLoadCommand(app);
  AddServeCommand(app);
  AddLocalizeCommand(app);
  AddChangepointsCommand(app);
  AddEvaluateCommand(app);
  AddSqlCommand(app);
}

CLI::Option* AddDataOptions(CLI::App& command, std::string& folder, std::string& dataset_file,
                            const std::string& folder_help) {
  CLI::Option* data = command.add_option("--data", folder, folder_help);
  command.add_option("--dataset", dataset_file,
                     "Dataset file (YAML) mapping your own exports onto the tables "
                     "(docs/your-data.md); results are kept in --data");
  return data;
}

void CheckOutputPath(std::string_view option, const std::string& path) {
  namespace fs = std::filesystem;
  if (path.empty()) return;
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (fs::exists(status)) {
    if (fs::is_directory(status)) {
      throw InvalidInput("{} {}: is a folder; expected a file to write", option, path);
    }
    if (!fs::is_regular_file(status)) {
      throw InvalidInput(
          "{} {}: is not a regular file (a device, fifo or socket); expected a "
          "file to write",
          option, path);
    }
  }
  fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) parent = ".";
  if (!fs::is_directory(parent, error)) {
    throw NotFound("{} {}: folder {} does not exist", option, path, parent.string());
  }
  if (::access(parent.c_str(), W_OK | X_OK) != 0) {
    throw IoError("{} {}: cannot write in folder {}", option, path, parent.string());
  }
}

void WriteOutput(const std::string& path, std::string_view text) {
  CheckOutputPath("--out", path);
  if (!path.empty()) {
    WriteFileAtomic(path, text);
    return;
  }
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
    throw IoError("cannot write to stdout");
  }
}

CLI::Validator IntegerIn(int64_t min, int64_t max) {
  return CLI::Validator(
      [min, max](std::string& text) -> std::string {
        // Decimal digits with an optional '-', nothing else: CLI11 would wrap "-1" into an
        // unsigned option, clamp what overflows and read "010" as octal.
        int64_t value = 0;
        const char* end = text.data() + text.size();
        const auto [stop, error] = std::from_chars(text.data(), end, value, 10);
        const bool digits = !text.empty() && text[0] != '+' && stop == end;
        if (!digits || error == std::errc::invalid_argument) {
          return fmt::format("'{}' is not a whole number; allowed: {}..{}", text, min, max);
        }
        if (error == std::errc::result_out_of_range || value < min || value > max) {
          return fmt::format("{} is out of range; allowed: {}..{}", text, min, max);
        }
        text = std::to_string(value);  // so that CLI11 does not read "010" as octal
        return std::string();
      },
      fmt::format("INT in [{} - {}]", min, max));
}

}  // namespace cxagent::cli
