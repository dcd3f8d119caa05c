#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "common/error.hpp"

namespace cxagent::testing {

//! A fresh temporary folder removed when the test ends.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  //! The folder's path.
  const std::filesystem::path& Path() const { return path_; }
  //! A path inside the folder.
  std::string File(const std::string& name) const { return (path_ / name).string(); }
  //! Writes `content` to a file inside the folder and returns its path.
  std::string Write(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

//! What a run of the cxagent binary produced.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

//! Runs the built cxagent binary with `arguments` (shell-quoted by the caller as needed).
CommandResult RunCxagent(const std::string& arguments);

//! Writes `folder`/orders.parquet with one order a day for `days` days from 2026-06-01 (the least
//! a data folder needs for `serve` to start).
void WriteMinimalOrders(const std::string& folder, int days);

//! Rewrites the Parquet file at `path` in place as `SELECT select FROM read_parquet(path) t
//! suffix` (e.g. "* REPLACE (...)", or "*" with "LIMIT 0"), through a temporary file.
void RewriteParquet(const std::filesystem::path& path, const std::string& select,
                    const std::string& suffix = "");

//! Runs `body` and returns the message of the cxagent::Error it throws; fails the test if it
//! throws nothing or another error type.
template <typename Body>
std::string ErrorMessage(Body&& body, ErrorType expected = ErrorType::INVALID_INPUT) {
  try {
    body();
  } catch (const Error& error) {
    EXPECT_EQ(static_cast<int>(error.Type()), static_cast<int>(expected)) << error.what();
    return error.what();
  }
  ADD_FAILURE() << "expected a cxagent::Error";
  return "";
}

}  // namespace cxagent::testing
