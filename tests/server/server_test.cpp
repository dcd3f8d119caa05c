#include "server/server.hpp"

#include <gtest/gtest.h>
#include "server/http.hpp"

#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/date.hpp"
#include "server/api_fixture.hpp"
#include "server/static_files.hpp"
#include "storage/duckdb.hpp"
#include "support/test_support.hpp"

namespace cxagent::server {
namespace {

using cxagent::testing::ErrorMessage;
using cxagent::testing::TempDir;
using testing::Body;
using testing::CopyWorld;
using testing::RunningServer;

// The analyzed test world and a dashboard build beside a secret file.
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CopyWorld(dir_.Path() / "data");
    std::filesystem::create_directories(dir_.Path() / "web" / "assets");
    dir_.Write("web/index.html", "<!doctype html><title>cxagent</title>");
    dir_.Write("web/assets/app-1a2b3c.js", "console.log('app')");
    dir_.Write("secret.txt", "do not serve");

    ServerOptions options;
    options.port = 0;
    options.data_dir = dir_.File("data");
    options.web_root = dir_.File("web");
    server_ = std::make_unique<RunningServer>(options);
  }

  httplib::Client Client() const { return server_->Client(); }

  TempDir dir_;
  std::unique_ptr<RunningServer> server_;
};

TEST_F(ServerTest, HealthReportsVersionAndData) {
  auto result = Client().Get("/api/health");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->get_header_value("Content-Type"), "application/json");
  const auto body = Body(result);
  EXPECT_EQ(body["status"], "ok");
  EXPECT_EQ(body["version"], CXAGENT_VERSION);
  EXPECT_GT(body["data"]["orders"].get<int64_t>(), 15000);
  EXPECT_EQ(body["data"]["start_date"], "2026-06-01");
  EXPECT_EQ(body["data"]["end_date"], "2026-06-30");
  EXPECT_GE(body["incidents"].get<int>(), 2);
  EXPECT_EQ(body["analyzed_at"].get<std::string>().size(), 20u) << body["analyzed_at"];
  EXPECT_EQ(body["analysis"]["state"], "idle");
}

TEST_F(ServerTest, UnknownApiRouteIsAJsonNotFound) {
  auto result = Client().Get("/api/nothing-here");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 404);
  const auto body = Body(result);
  EXPECT_EQ(body["error"]["code"], "not_found");
  EXPECT_EQ(body["error"]["message"], "no API route GET /api/nothing-here");
  EXPECT_EQ(body["error"]["details"]["path"], "/api/nothing-here");
}

TEST_F(ServerTest, WrongMethodOnAKnownRouteIs405WithAllow) {
  auto result = Client().Post("/api/health", "{}", "application/json");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 405);
  EXPECT_EQ(result->get_header_value("Allow"), "GET");
  EXPECT_EQ(Body(result)["error"]["code"], "method_not_allowed");
}

TEST_F(ServerTest, OversizedBodyIs413InTheErrorShape) {
  auto result = Client().Post("/api/health", std::string((1 << 20) + 10, 'x'), "application/json");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 413);
  EXPECT_EQ(Body(result)["error"]["code"], "payload_too_large");
}

TEST_F(ServerTest, ServesTheDashboardIndex) {
  auto result = Client().Get("/");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body, "<!doctype html><title>cxagent</title>");
  EXPECT_EQ(result->get_header_value("Cache-Control"), "no-cache");
}

TEST_F(ServerTest, HashedAssetsAreCachedForAYear) {
  auto result = Client().Get("/assets/app-1a2b3c.js");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(result->get_header_value("Cache-Control"), "public, max-age=31536000, immutable");
}

TEST_F(ServerTest, ClientRoutesFallBackToIndex) {
  auto result = Client().Get("/incidents/INC-0001");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body, "<!doctype html><title>cxagent</title>");
}

TEST_F(ServerTest, PathTraversalIsNotFound) {
  for (const char* path : {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt",
                           "/assets/..%2f..%2fsecret.txt"}) {
    auto result = Client().Get(path);
    ASSERT_TRUE(result) << path;
    EXPECT_EQ(result->status, 404) << path;
    EXPECT_EQ(result->body.find("do not serve"), std::string::npos) << path;
  }
}

// serve --dataset: the results folder holds only results; the data is where the dataset file
// says, here the test world's files under other names. The analysis serve runs first equals the
// one stored with the world.
TEST(ServerDatasetTest, AnalysesThroughTheDatasetFileAndServesTheSameIncidents) {
  TempDir dir;
  CopyWorld(dir.Path() / "world");
  std::filesystem::create_directories(dir.Path() / "exports");
  std::filesystem::create_directories(dir.Path() / "results");
  std::string yaml = "tables:\n";
  for (const char* table : {"orders", "deliveries", "items", "inventory", "support", "ratings",
                            "supply_hourly", "change_log"}) {
    const auto from = dir.Path() / "world" / (std::string(table) + ".parquet");
    if (!std::filesystem::exists(from)) continue;
    std::filesystem::copy_file(from,
                               dir.Path() / "exports" / (std::string("x_") + table + ".parquet"));
    yaml += std::string("  ") + table + ":\n    source: exports/x_" + table + ".parquet\n";
  }
  const std::string dataset = dir.Write("dataset.yaml", yaml);

  ServerOptions options;
  options.data_dir = dir.File("results");
  options.dataset_file = dataset;
  RunningServer mapped(options);
  options.data_dir = dir.File("world");
  options.dataset_file.clear();
  RunningServer stored(options);
  const auto get = [](const RunningServer& server, const std::string& path) {
    auto client = server.Client();
    auto result = client.Get(path);
    EXPECT_TRUE(result);
    EXPECT_EQ(result->status, 200) << path;
    return Body(result);
  };
  EXPECT_EQ(get(mapped, "/api/health")["data"], get(stored, "/api/health")["data"]);
  const auto mapped_incidents = get(mapped, "/api/incidents");
  const auto stored_incidents = get(stored, "/api/incidents");
  const auto& a = mapped_incidents["incidents"];
  const auto& b = stored_incidents["incidents"];
  ASSERT_EQ(a.size(), b.size());
  ASSERT_GT(a.size(), 0u);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i]["slice"], b[i]["slice"]);
    EXPECT_EQ(a[i]["metric"], b[i]["metric"]);
    EXPECT_EQ(a[i]["start_date"], b[i]["start_date"]);
  }
  EXPECT_TRUE(std::filesystem::exists(dir.Path() / "results" / ".cxagent"));
}

TEST(StaticFilesTest, RefusesSymlinksThatLeaveTheRoot) {
  TempDir dir;
  std::filesystem::create_directories(dir.Path() / "web");
  dir.Write("web/index.html", "index");
  dir.Write("secret.txt", "secret");
  std::filesystem::create_symlink(dir.Path() / "secret.txt", dir.Path() / "web" / "leak.txt");
  EXPECT_FALSE(ResolveStaticFile(dir.File("web"), "/leak.txt"));
  const auto index = ResolveStaticFile(dir.File("web"), "/anything/else");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->path, (std::filesystem::canonical(dir.Path()) / "web" / "index.html").string());
}

TEST(StaticFilesTest, NoIndexMeansNotFound) {
  TempDir dir;
  EXPECT_FALSE(ResolveStaticFile(dir.Path().string(), "/"));
}

TEST(ServerConfigTest, ADataFolderWithoutOrdersIsRejectedWhenAnalyzingIt) {
  TempDir dir;
  ServerOptions options;
  options.data_dir = dir.Path().string();
  options.web_root = dir.Path().string();
  const std::string message = ErrorMessage([&] { ApiServer server(options); });
  EXPECT_NE(message.find("has no orders table"), std::string::npos) << message;
}

TEST(ServerConfigTest, APortInUseIsAnIoError) {
  TempDir dir;
  CopyWorld(dir.Path() / "data");
  ServerOptions options;
  options.port = 0;
  options.data_dir = dir.File("data");
  options.web_root = dir.Path().string();
  ApiServer first(options);
  options.port = first.Bind();
  ApiServer second(options);
  const std::string message = ErrorMessage([&] { second.Bind(); }, ErrorType::IO);
  EXPECT_NE(message.find("cannot bind 127.0.0.1:" + std::to_string(options.port)),
            std::string::npos)
      << message;
}

}  // namespace
}  // namespace cxagent::server

namespace cxagent::server {
namespace {

// A server with a token and one allowed origin.
class SecuredServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CopyWorld(dir_.Path() / "data");
    ServerOptions options;
    options.port = 0;
    options.data_dir = dir_.File("data");
    options.web_root = dir_.Path().string();
    options.token = "s3cret";
    options.cors_origins = {"http://localhost:5173"};
    server_ = std::make_unique<RunningServer>(options);
  }
  httplib::Client Client() const { return server_->Client(); }

  TempDir dir_;
  std::unique_ptr<RunningServer> server_;
};

TEST_F(SecuredServerTest, MissingTokenIs401) {
  auto result = Client().Get("/api/health");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 401);
  EXPECT_EQ(result->get_header_value("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(nlohmann::json::parse(result->body)["error"]["code"], "unauthorized");
}

TEST_F(SecuredServerTest, WrongTokenIs401) {
  auto result = Client().Get("/api/health", {{"Authorization", "Bearer s3creT"}});
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 401);
}

TEST_F(SecuredServerTest, RightTokenIsServed) {
  auto result = Client().Get("/api/health", {{"Authorization", "Bearer s3cret"}});
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
}

// The unconfirmed incidents are data like the incidents: the token guards them too.
TEST_F(SecuredServerTest, UnconfirmedNeedsTheToken) {
  auto missing = Client().Get("/api/unconfirmed");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 401);
  auto given = Client().Get("/api/unconfirmed", {{"Authorization", "Bearer s3cret"}});
  ASSERT_TRUE(given);
  EXPECT_EQ(given->status, 200) << given->body;
}

TEST_F(SecuredServerTest, ListedOriginGetsCorsHeaders) {
  auto result = Client().Get(
      "/api/health", {{"Authorization", "Bearer s3cret"}, {"Origin", "http://localhost:5173"}});
  ASSERT_TRUE(result);
  EXPECT_EQ(result->get_header_value("Access-Control-Allow-Origin"), "http://localhost:5173");
}

TEST_F(SecuredServerTest, OtherOriginsGetNoCorsHeaders) {
  auto result = Client().Get(
      "/api/health", {{"Authorization", "Bearer s3cret"}, {"Origin", "http://evil.example"}});
  ASSERT_TRUE(result);
  EXPECT_FALSE(result->has_header("Access-Control-Allow-Origin"));
}

TEST_F(ServerTest, CorsIsOffByDefault) {
  auto result = Client().Get("/api/health", {{"Origin", "http://localhost:5173"}});
  ASSERT_TRUE(result);
  EXPECT_FALSE(result->has_header("Access-Control-Allow-Origin"));
}

TEST_F(ServerTest, ApiDocsServesTheBuiltPage) {
  auto missing = Client().Get("/api/docs");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_NE(missing->body.find("not built"), std::string::npos) << missing->body;
  dir_.Write("web/docs.html", "<!doctype html><title>docs</title>");
  auto page = Client().Get("/api/docs");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(page->body, "<!doctype html><title>docs</title>");
}

TEST_F(SecuredServerTest, EveryRouteThatReadsOrChangesDataNeedsTheToken) {
  const nlohmann::json document = OpenApiDocument();
  size_t checked = 0;
  for (const auto& [path, operations] : document["paths"].items()) {
    if (path == "/api/docs") continue;  // the page holds no data; it asks for the token
    std::string target = path;
    if (const size_t at = target.find("{id}"); at != std::string::npos) {
      target.replace(at, 4, "INC-0001");
    }
    for (const auto& [method, operation] : operations.items()) {
      std::string upper = method;
      for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      httplib::Request request;
      request.method = upper;
      request.path = target;
      if (upper == "PUT" || upper == "PATCH" || upper == "POST") {
        request.body = "{}";
        request.set_header("Content-Type", "application/json");
      }
      auto client = Client();
      httplib::Response response;
      httplib::Error error = httplib::Error::Success;
      ASSERT_TRUE(client.send(request, response, error)) << upper << " " << target;
      EXPECT_EQ(response.status, 401) << upper << " " << target << ": " << response.body;
      ++checked;
    }
  }
  EXPECT_GE(checked, 18u);
}

TEST(ServerExposureTest, LoopbackHostsAreRecognised) {
  for (const char* host :
       {"127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(IsLoopbackHost(host)) << host;
  }
  for (const char* host : {"0.0.0.0", "::", "10.0.0.5", "192.168.1.20", "128.0.0.1",
                           "cx.example.com", "", "::ffff:10.0.0.1"}) {
    EXPECT_FALSE(IsLoopbackHost(host)) << host;
  }
}

TEST(ServerExposureTest, ANonLoopbackHostNeedsATokenOrInsecure) {
  ServerOptions options;
  options.host = "0.0.0.0";
  options.data_dir = "/nonexistent/data";
  EXPECT_EQ(cxagent::testing::ErrorMessage([&] { ApiServer server(options); }),
            "serve: --host 0.0.0.0 is reachable from other machines and no token is set, so "
            "anyone there could read and change the data; give --token TOKEN (or set "
            "CXAGENT_TOKEN), or --insecure to serve without one");
  options.token = "s3cret";
  EXPECT_NO_THROW(RequireSafeExposure(options));
  options.token.clear();
  options.insecure = true;
  EXPECT_NO_THROW(RequireSafeExposure(options));
}

TEST_F(SecuredServerTest, ApiDocsPageNeedsNoToken) {
  dir_.Write("docs.html", "docs");
  auto page = Client().Get("/api/docs");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  auto document = Client().Get("/api/openapi.json");
  ASSERT_TRUE(document);
  EXPECT_EQ(document->status, 401);
}

TEST_F(ServerTest, OpenApiDocumentsEveryRoute) {
  auto result = Client().Get("/api/openapi.json");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  const auto document = nlohmann::json::parse(result->body);
  EXPECT_EQ(document["openapi"], "3.0.3");
  ASSERT_TRUE(document["paths"].contains("/api/health"));
  EXPECT_TRUE(document["paths"]["/api/health"].contains("get"));
  EXPECT_TRUE(document["paths"].contains("/api/openapi.json"));
  EXPECT_TRUE(document["components"]["schemas"].contains("Error"));
  // Every documented operation answers something other than the router's own 404/405.
  for (const auto& [path, operations] : document["paths"].items()) {
    for (const auto& [method, operation] : operations.items()) {
      if (method != "get" || path.find('{') != std::string::npos || path == "/api/docs") continue;
      auto answer = Client().Get(path);
      ASSERT_TRUE(answer) << path;
      // Without its required query parameters a route answers 400 naming one (its handler ran).
      bool requires_query = false;
      for (const auto& parameter : operation["parameters"]) {
        requires_query = requires_query || parameter.value("required", false);
      }
      EXPECT_EQ(answer->status, requires_query ? 400 : 200) << path << ": " << answer->body;
    }
  }
}

}  // namespace
}  // namespace cxagent::server
