// What outside probing of the server broke (issue 19), each answered as the contract says.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "server/api_fixture.hpp"
#include "server/server.hpp"

namespace cxagent::server {
namespace {

using cxagent::testing::TempDir;
using nlohmann::json;
using testing::Body;
using testing::CopyWorld;
using testing::ExpectError;
using testing::RunningServer;

// A client socket that writes raw bytes, so malformed, slow and pipelined requests can be sent.
class RawConnection {
 public:
  explicit RawConnection(int port) : socket_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ =
        ::connect(socket_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~RawConnection() { ::close(socket_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool Connected() const { return connected_; }
  bool Send(const std::string& bytes) const {
    return ::send(socket_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  // Everything the server sends until it closes the connection or `timeout` passes.
  std::string ReadUntilClosed(std::chrono::milliseconds timeout) const {
    std::string received;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buffer[65536];
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd ready{socket_, POLLIN, 0};
      if (::poll(&ready, 1, static_cast<int>(left.count())) <= 0) break;
      const ssize_t n = ::recv(socket_, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      received.append(buffer, static_cast<size_t>(n));
    }
    return received;
  }

 private:
  int socket_;
  bool connected_ = false;
};

size_t Count(const std::string& text, const std::string& part) {
  size_t count = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
    ++count;
  }
  return count;
}

// The JSON body of the last response in raw bytes read from a connection.
json LastBody(const std::string& raw) {
  const size_t start = raw.rfind("\r\n\r\n");
  return json::parse(raw.substr(start == std::string::npos ? 0 : start + 4), nullptr, false);
}

class HardeningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CopyWorld(dir_.Path() / "data");
    std::filesystem::create_directories(dir_.Path() / "web" / "assets");
    dir_.Write("web/index.html", "<!doctype html>");
    dir_.Write("web/assets/app.js", "console.log('app')");
  }
  void Start(size_t threads = 64, std::shared_ptr<const Simulator> simulator = nullptr) {
    server_.reset();
    ServerOptions options;
    options.data_dir = dir_.File("data");
    options.web_root = dir_.File("web");
    options.threads = threads;
    options.simulator = std::move(simulator);
    server_ = std::make_unique<RunningServer>(options);
  }
  httplib::Client Client() const { return server_->Client(); }
  std::string FirstIncident() const {
    return Body(Client().Get("/api/incidents"))["incidents"][0]["id"];
  }
  // Sends `bytes` on a new connection and returns all the server answers before closing.
  std::string Exchange(const std::string& bytes) const {
    RawConnection connection(server_->Port());
    EXPECT_TRUE(connection.Connected());
    EXPECT_TRUE(connection.Send(bytes));
    return connection.ReadUntilClosed(std::chrono::seconds(10));
  }
  void ExpectHealthy() const {
    const auto health = Client().Get("/api/health");
    ASSERT_TRUE(health) << "the server no longer answers";
    EXPECT_EQ(health->status, 200);
  }

  TempDir dir_;
  std::unique_ptr<RunningServer> server_;
};

std::string DeeplyNestedWhatIf() {
  return R"({"template":"batching_cap","params":)" + std::string(100'000, '[') +
         std::string(100'000, ']') + "}";
}

TEST_F(HardeningTest, DeeplyNestedBodiesAre400AndTheServerLives) {
  Start();
  const std::string id = FirstIncident();
  const auto result = Client().Post(("/api/incidents/" + id + "/whatif").c_str(),
                                    DeeplyNestedWhatIf(), "application/json");
  ExpectError(result, 400, "invalid_input", "body: JSON nested deeper than 32 levels");
  ExpectHealthy();
}

TEST_F(HardeningTest, BadBytesAndHugeNumbersAre400NamingTheField) {
  Start(64, MakeUnavailableSimulator());
  const std::string id = FirstIncident();
  const auto limit = Client().Get("/api/incidents?limit=%ff");
  ExpectError(limit, 400, "invalid_input", "limit: '\\xFF' is not valid UTF-8");
  EXPECT_EQ(Body(limit)["error"]["details"]["parameter"], "limit");
  ExpectError(Client().Get("/api/incidents?%ff%fe=1"), 400, "invalid_input",
              "query parameter name '\\xFF\\xFE' is not valid UTF-8");
  const std::string incident = "/api/incidents/" + id;
  const auto huge = Client().Patch(incident.c_str(), R"({"status":1e99999})", "application/json");
  ExpectError(huge, 400, "invalid_input", "body: status: a number is out of range");
  EXPECT_EQ(Body(huge)["error"]["details"]["parameter"], "status");
  const auto whatif = Client().Post((incident + "/whatif").c_str(),
                                    R"({"template":"batching_cap","params":{"max_batch":1e99999}})",
                                    "application/json");
  ExpectError(whatif, 400, "invalid_input", "params.max_batch: a number is out of range");
  EXPECT_EQ(Body(whatif)["error"]["details"]["parameter"], "params.max_batch");
  ExpectError(Client().Patch(incident.c_str(), "{\"note\":\"\xFF\"}", "application/json"), 400,
              "invalid_input", "body: not valid JSON");
  ExpectHealthy();
}

TEST_F(HardeningTest, PipelinedRequestsAreAllAnsweredInOrder) {
  Start();
  const std::string raw = Exchange(
      "GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /api/nothing HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /api/metrics/cohorts HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(Count(raw, "HTTP/1.1 "), 3u) << raw.substr(0, 2000);
  const size_t ok = raw.find("HTTP/1.1 200");
  const size_t missing = raw.find("HTTP/1.1 404");
  EXPECT_LT(ok, missing);
  EXPECT_NE(raw.find("HTTP/1.1 200", missing), std::string::npos);
  EXPECT_NE(raw.find("\"dimensions\""), std::string::npos);
}

// Connections that send their headers a byte at a time hold no thread: with 8 threads and 40
// such clients, a health check still answers at once.
TEST_F(HardeningTest, SlowClientsDoNotDelayOthers) {
  Start(8);
  const std::string head = "GET /api/health HTTP/1.1\r\nHost: slow\r\nX-Padding: ";
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < 40; ++i) {
    slow.push_back(std::make_unique<RawConnection>(server_->Port()));
    ASSERT_TRUE(slow.back()->Connected());
  }
  std::atomic<bool> done{false};
  std::thread trickle([&] {
    for (size_t at = 0; !done; ++at) {
      for (auto& connection : slow) {
        connection->Send(std::string(1, at < head.size() ? head[at] : 'x'));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const auto start = std::chrono::steady_clock::now();
  const auto health = Client().Get("/api/health");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  done = true;
  trickle.join();
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_LT(seconds, 1.0) << "health took " << seconds << " s beside 40 slow clients";
}

// A simulator that takes its time, like the real one on a large incident.
class SlowSimulator : public Simulator {
 public:
  json WhatIf(const WhatIfRequest& request) const override {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    return {{"template", request.action_template}, {"params", request.params}};
  }
  std::string ExperimentPlan(const std::string&, const json&, const json&) const override {
    return "# Plan\n";
  }
};

// Handlers that take seconds run on the workers: with every worker busy on a what-if, reads,
// writes and the routes answered from memory go on.
TEST_F(HardeningTest, SlowHandlersDoNotDelayQuickRoutes) {
  Start(4, std::make_shared<SlowSimulator>());
  const std::string id = FirstIncident();
  const auto list = Body(Client().Get(("/api/incidents/" + id + "/recommendations").c_str()));
  ASSERT_FALSE(list["recommendations"].empty()) << list.dump();
  const json& recommendation = list["recommendations"][0];
  ASSERT_FALSE(recommendation["params"].empty()) << recommendation.dump();
  const std::string param = recommendation["params"].items().begin().key();
  std::vector<std::thread> clients;
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back([&, i] {
      Client().Post(
          ("/api/incidents/" + id + "/whatif").c_str(),
          json({{"template", recommendation["template"]}, {"params", {{param, i}}}}).dump(),
          "application/json");
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto start = std::chrono::steady_clock::now();
  ExpectHealthy();
  const auto incidents = Client().Get("/api/incidents");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (auto& client : clients) client.join();
  ASSERT_TRUE(incidents);
  EXPECT_EQ(incidents->status, 200);
  EXPECT_LT(seconds, 1.0) << "health and the incident list took " << seconds
                          << " s while 8 what-ifs ran";
}

TEST_F(HardeningTest, AnalyzeWithoutContentLengthAnswersAtOnce) {
  Start();
  const auto start = std::chrono::steady_clock::now();
  const std::string raw =
      Exchange("POST /api/analyze HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(raw.rfind("HTTP/1.1 202", 0), 0u) << raw;
  EXPECT_LT(seconds, 2.0);
  EXPECT_EQ(LastBody(raw)["state"], "running") << raw;
  ExpectError(Client().Post("/api/analyze", "{\"x\":1}", "application/json"), 400, "invalid_input",
              "body: POST /api/analyze takes no body (got 7 bytes)");
}

TEST_F(HardeningTest, ErrorsOfTheHttpLayerSayWhatAndWhere) {
  Start();
  const std::string long_path = "/api/incidents?x=" + std::string(9000, 'a');
  const auto too_long = Client().Get(long_path.c_str());
  ExpectError(too_long, 414, "invalid_input",
              "GET /api/incidents: the request target is longer than 8192 bytes");
  EXPECT_EQ(Body(too_long)["error"]["details"]["path"], "/api/incidents");

  const std::string unknown = Exchange("BREW /api/health HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(unknown.rfind("HTTP/1.1 405", 0), 0u) << unknown;
  EXPECT_EQ(LastBody(unknown)["error"]["message"],
            "BREW is not allowed on /api/health; allowed: GET");
  const std::string unknown_static = Exchange("BREW /coffee HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(LastBody(unknown_static)["error"]["details"]["path"], "/coffee") << unknown_static;

  const std::string framing =
      Exchange("POST /api/analyze HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n");
  EXPECT_EQ(framing.rfind("HTTP/1.1 400", 0), 0u) << framing;
  const json error = LastBody(framing)["error"];
  EXPECT_EQ(error["message"], "POST /api/analyze: malformed HTTP request: bad Content-Length")
      << framing;
  EXPECT_EQ(error["details"]["path"], "/api/analyze");
  const std::string garbage = Exchange("\x16\x03\x01 hello\r\n\r\n");
  EXPECT_EQ(garbage.rfind("HTTP/1.1 400", 0), 0u) << garbage;
  EXPECT_NE(LastBody(garbage)["error"]["message"].get<std::string>().find("malformed HTTP"),
            std::string::npos);

  const auto large = Client().Post("/api/analyze", std::string((1 << 20) + 1, 'x'), "text/plain");
  ExpectError(large, 413, "payload_too_large",
              "POST /api/analyze: the request body is larger than 1048576 bytes");
  EXPECT_EQ(Body(large)["error"]["details"]["path"], "/api/analyze");
  ExpectHealthy();
}

TEST_F(HardeningTest, RangeRequestsGetTheWholeFile) {
  Start();
  const auto result = Client().Get("/assets/app.js", {{"Range", "bytes=0-3"}});
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body, "console.log('app')");
  const auto head = Client().Head("/assets/app.js");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->get_header_value("Content-Length"), "18");
  EXPECT_TRUE(head->body.empty());
}

TEST_F(HardeningTest, TextIsCompressedForClientsThatAcceptIt) {
  Start();
  const std::string gzip =
      Exchange("GET /api/incidents HTTP/1.1\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n");
  EXPECT_NE(gzip.find("Content-Encoding: gzip\r\n"), std::string::npos) << gzip.substr(0, 300);
  const std::string brotli = Exchange(
      "GET /assets/app.js HTTP/1.1\r\nAccept-Encoding: gzip, br\r\nConnection: close\r\n\r\n");
  EXPECT_NE(brotli.find("Content-Encoding: br\r\n"), std::string::npos) << brotli.substr(0, 300);
  const std::string plain = Exchange("GET /api/incidents HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(plain.find("Content-Encoding"), std::string::npos);
  const auto decoded = Client().Get("/api/incidents", {{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(decoded);
  EXPECT_TRUE(Body(decoded).contains("incidents"));
}

TEST_F(HardeningTest, WhatIfParameterErrorsNameTheParameter) {
  // The recommendations of the analyzed world name batching_cap only when batching is a cause,
  // so the template is checked against what the incident offers.
  Start(64, MakeRecommendSimulator(recommend::RecommendConfig{}));
  const std::string id = FirstIncident();
  const auto list = Body(Client().Get(("/api/incidents/" + id + "/recommendations").c_str()));
  ASSERT_FALSE(list["recommendations"].empty()) << list.dump();
  const json& recommendation = list["recommendations"][0];
  ASSERT_FALSE(recommendation["params"].empty()) << recommendation.dump();
  const std::string param = recommendation["params"].items().begin().key();
  const auto result = Client().Post(
      ("/api/incidents/" + id + "/whatif").c_str(),
      json({{"template", recommendation["template"]}, {"params", {{param, 1e9}}}}).dump(),
      "application/json");
  ExpectError(result, 400, "invalid_input", "parameter '" + param + "' must be between");
  EXPECT_EQ(Body(result)["error"]["details"]["parameter"], "params." + param) << result->body;
  const auto text = Client().Post(
      ("/api/incidents/" + id + "/whatif").c_str(),
      json({{"template", recommendation["template"]}, {"params", {{param, "many"}}}}).dump(),
      "application/json");
  ExpectError(text, 400, "invalid_input", "must be a number, got string");
  EXPECT_EQ(Body(text)["error"]["details"]["parameter"], "params." + param);
}

TEST_F(HardeningTest, TheServerSurvivesEveryProbeInARow) {
  Start(8, MakeUnavailableSimulator());
  const std::string id = FirstIncident();
  const std::string incident = "/api/incidents/" + id;
  Client().Post((incident + "/whatif").c_str(), DeeplyNestedWhatIf(), "application/json");
  Client().Patch(incident.c_str(), "{\"note\":" + std::string(50'000, '{'), "application/json");
  Client().Get("/api/incidents?limit=%ff");
  Client().Get("/api/incidents?%ff%fe=1");
  Client().Patch(incident.c_str(), R"({"note":1e99999})", "application/json");
  Client().Patch(incident.c_str(), "{\"note\":\"\xFF\"}", "application/json");
  ExpectError(Client().Get(("/" + std::string(20'000, 'a')).c_str()), 414, "invalid_input",
              "the request target is longer than 8192 bytes");
  Exchange("POST /api/analyze HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  Exchange("BREW / HTTP/1.1\r\nConnection: close\r\n\r\n");
  Exchange("GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n");
  Exchange("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
  Exchange(std::string("GET /\0 HTTP/1.1\r\n\r\n", 19));
  Exchange("GET /api/health HTTP/1.1\r\n\r\nGET /api/health HTTP/1.1\r\nConnection: close\r\n\r\n");
  Client().Get("/assets/app.js", {{"Range", "bytes=5-1,0-0"}});
  {
    std::vector<std::unique_ptr<RawConnection>> slow;
    for (int i = 0; i < 30; ++i) {
      slow.push_back(std::make_unique<RawConnection>(server_->Port()));
      slow.back()->Send("GET / HTTP/1.1\r\nHo");
    }
    ExpectHealthy();
  }
  ExpectHealthy();
}

}  // namespace
}  // namespace cxagent::server
