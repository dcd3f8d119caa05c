#pragma once

// Shared by the libFuzzer targets of this folder (docs/fuzzing.md): what counts as a finding and
// a scratch folder for the parsers that read files.

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <typeinfo>

#include "common/error.hpp"

namespace cxagent::fuzz {

//! Prints what went wrong and aborts, so libFuzzer saves the input as a crash.
[[noreturn]] inline void Fail(std::string_view what, std::string_view detail) {
  std::fprintf(stderr, "FUZZ FINDING: %.*s: %.*s\n", static_cast<int>(what.size()), what.data(),
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

//! Runs one input. A cxagent::Error is the project's answer to bad input (exit 2 on the command
//! line, a 4xx from the API) and so a normal outcome, unless it is INTERNAL (error.hpp: "a bug or
//! an unexpected library failure": exit 1, HTTP 500). Any other exception is a finding; crashes,
//! sanitizer reports, leaks and timeouts libFuzzer catches. With CXAGENT_FUZZ_MESSAGES=1 in the
//! environment, an error message that is empty or spans several lines is a finding too (the
//! one-line rule; off by default because many messages still quote the user's input verbatim,
//! docs/fuzzing.md).
template <typename Body>
void Run(Body&& body) {
  static const bool check_messages = [] {
    const char* value = std::getenv("CXAGENT_FUZZ_MESSAGES");
    return value != nullptr && std::string_view(value) == "1";
  }();
  try {
    body();
  } catch (const Error& error) {
    const std::string_view text = error.what();
    if (error.Type() == ErrorType::INTERNAL) Fail("internal error on user input", text);
    if (check_messages && (text.empty() || text.find_first_of("\r\n") != std::string_view::npos)) {
      Fail("error message is not one line", text);
    }
  } catch (const std::exception& error) {
    Fail(typeid(error).name(), error.what());
  } catch (...) {
    Fail("exception", "not derived from std::exception");
  }
}

//! A private scratch folder under TMPDIR, removed when the process exits normally.
class ScratchDir {
 public:
  ScratchDir()
      : path_(std::filesystem::temp_directory_path() /
              ("cxagent-fuzz-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  //! The path of `name` inside the folder.
  std::string File(std::string_view name) const { return (path_ / name).string(); }
  //! Writes `data` to `name` (replacing it) and returns its path.
  std::string Write(std::string_view name, const uint8_t* data, size_t size) const {
    const std::string file = File(name);
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    out.close();
    if (!out) Fail("scratch file", file);
    return file;
  }

 private:
  std::filesystem::path path_;
};

//! The process's one scratch folder, made on first use and removed at exit.
inline const ScratchDir& Scratch() {
  static const ScratchDir SCRATCH;
  return SCRATCH;
}

//! The input as text.
inline std::string_view Text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace cxagent::fuzz
