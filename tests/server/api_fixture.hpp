#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>
#include "server/http.hpp"

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "server/server.hpp"
#include "storage/duckdb.hpp"
#include "storage/results_store.hpp"
#include "support/shared_folder.hpp"
#include "support/test_support.hpp"

namespace cxagent::server::testing {

//! A generated and analyzed world (tests/server/api_world.yaml), made once per build and shared
//! by every test process (cxagent::testing::SharedFolder); tests copy it so each can change its
//! results and triage states.
inline const std::string& ApiWorld() {
  static const std::string WORLD = [] {
    const std::string scenario = std::string(CXAGENT_SOURCE_DIR) + "/tests/server/api_world.yaml";
    const auto folder = cxagent::testing::SharedFolder(
        "api-world", {scenario}, [&scenario](const std::filesystem::path& made) {
          const std::string world = (made / "world").string();
          const auto generated = cxagent::testing::RunCxagent(
              fmt::format("generate --scenario {} --out {}", scenario, world));
          EXPECT_EQ(generated.exit_code, 0) << generated.err;
          if (generated.exit_code != 0) return false;
          const auto analyzed = cxagent::testing::RunCxagent("analyze --data " + world);
          EXPECT_EQ(analyzed.exit_code, 0) << analyzed.err;
          return analyzed.exit_code == 0;
        });
    return (folder / "world").string();
  }();
  return WORLD;
}

//! Copies the analyzed world to `to` (with its stored results unless `with_results` is false).
inline void CopyWorld(const std::filesystem::path& to, bool with_results = true) {
  std::filesystem::copy(ApiWorld(), to, std::filesystem::copy_options::recursive);
  if (!with_results) std::filesystem::remove_all(to / ".cxagent");
}

//! Rewrites the stored analysis of a data folder with `change` (keeping its cube).
template <typename Change>
void RewriteStoredAnalysis(const std::string& data_dir, Change&& change) {
  storage::Database database;
  storage::Connection connection(database);
  storage::AttachResults(connection, data_dir);
  nlohmann::json analysis = nlohmann::json::parse(
      connection.Query("SELECT document FROM results.analysis").Get("document").StringAt(0));
  const storage::Table cube = connection.Query("SELECT * FROM results.slice_cube");
  connection.Execute("DETACH results");
  change(analysis);
  storage::StoreResults(connection, data_dir, analysis, cube);
}

//! An ApiServer serving on a free port in a background thread until destroyed.
class RunningServer {
 public:
  //! Starts serving `options` (port forced to 0).
  explicit RunningServer(ServerOptions options) : server_((options.port = 0, std::move(options))) {
    port_ = server_.Bind();
    thread_ = std::thread([this] { server_.Serve(); });
  }
  ~RunningServer() {
    server_.Stop();
    thread_.join();
  }
  RunningServer(const RunningServer&) = delete;
  RunningServer& operator=(const RunningServer&) = delete;

  //! A client for the server.
  httplib::Client Client() const {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(60, 0);
    return client;
  }
  //! The bound port.
  int Port() const { return port_; }

 private:
  ApiServer server_;
  std::thread thread_;
  int port_ = 0;
};

//! The JSON body of a response.
inline nlohmann::json Body(const httplib::Result& result) {
  return nlohmann::json::parse(result->body);
}

//! Expects `result` to be an error response with `status`, `code` and a message containing
//! `message_part`.
inline void ExpectError(const httplib::Result& result, int status, const std::string& code,
                        const std::string& message_part) {
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, status) << result->body;
  const auto body = nlohmann::json::parse(result->body, nullptr, false);
  ASSERT_TRUE(body.contains("error")) << result->body;
  EXPECT_EQ(body["error"]["code"], code) << result->body;
  EXPECT_NE(body["error"]["message"].get<std::string>().find(message_part), std::string::npos)
      << "message: " << body["error"]["message"] << "\nexpected to contain: " << message_part;
}

}  // namespace cxagent::server::testing
