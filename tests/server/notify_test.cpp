// End to end: serve with notification channels pointing at a local receiver.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/date.hpp"
#include "notify/outbox.hpp"
#include "server/api_fixture.hpp"
#include "support/test_support.hpp"

namespace cxagent::server {
namespace {

using cxagent::testing::TempDir;
using nlohmann::json;
using testing::Body;
using testing::CopyWorld;
using testing::ExpectError;
using testing::RewriteStoredAnalysis;
using testing::RunningServer;
using Clock = std::chrono::steady_clock;

// A webhook receiver on a free local port that answers 503 to the first `failures` requests of
// each path, then 200, and keeps what it accepted.
class Receiver {
 public:
  explicit Receiver(int failures) : failures_(failures) {
    const auto handle = [this](const httplib::Request& request, httplib::Response& response) {
      std::lock_guard lock(mutex_);
      const int seen = attempts_[request.path]++;
      event_ids_[request.path].push_back(request.get_header_value("X-Cxagent-Event-Id"));
      if (seen < failures_) {
        response.status = 503;
        response.set_content("busy", "text/plain");
        return;
      }
      accepted_[request.path].push_back(request.body);
      response.set_content("ok", "text/plain");
    };
    server_.Post("/hook", handle);
    server_.Post("/slack", handle);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  int Port() const { return port_; }
  int Attempts(const std::string& path) const {
    std::lock_guard lock(mutex_);
    const auto found = attempts_.find(path);
    return found == attempts_.end() ? 0 : found->second;
  }
  std::vector<std::string> Accepted(const std::string& path) const {
    std::lock_guard lock(mutex_);
    const auto found = accepted_.find(path);
    return found == accepted_.end() ? std::vector<std::string>() : found->second;
  }
  std::vector<std::string> EventIds(const std::string& path) const {
    std::lock_guard lock(mutex_);
    const auto found = event_ids_.find(path);
    return found == event_ids_.end() ? std::vector<std::string>() : found->second;
  }

 private:
  int failures_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mutex_;
  std::map<std::string, int> attempts_;
  std::map<std::string, std::vector<std::string>> accepted_;
  std::map<std::string, std::vector<std::string>> event_ids_;
};

template <typename Condition>
bool WaitFor(Condition condition, std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

class NotifyTest : public ::testing::Test {
 protected:
  void SetUp() override { CopyWorld(dir_.Path() / "data"); }

  std::string WriteConfig(int port, double retry_seconds) const {
    return dir_.Write("cx.yaml", fmt::format(R"(notify:
  public_url: http://cx.example.test/
  retry_initial_seconds: {}
  retry_max_seconds: 10
  channels:
    - {{name: hook, type: webhook, url: "http://127.0.0.1:{}/hook"}}
    - {{name: team-slack, type: slack, url: "http://127.0.0.1:{}/slack"}}
)",
                                             retry_seconds, port, port));
  }
  void Start(const std::string& config, bool watch = false) {
    server_.reset();
    ServerOptions options;
    options.data_dir = dir_.File("data");
    options.web_root = dir_.Path().string();
    options.config_path = config;
    options.watch = watch;
    options.watch_debounce_ms = 200;
    server_ = std::make_unique<RunningServer>(options);
  }
  httplib::Client Client() const { return server_->Client(); }
  json WaitForAnalysis() const {
    json health;
    WaitFor(
        [&] {
          health = Body(Client().Get("/api/health"));
          return health["analysis"]["state"] == "idle" &&
                 !health["analysis"]["finished_at"].is_null();
        },
        std::chrono::seconds(60));
    return health;
  }
  // The served incident in `slice`.
  json IncidentIn(const std::string& slice) const {
    const json list = Body(Client().Get("/api/incidents"));
    for (const auto& row : list["incidents"]) {
      if (row["slice_text"] == slice) return row;
    }
    ADD_FAILURE() << "no incident in " << slice << ": " << list.dump();
    return nullptr;
  }

  TempDir dir_;
  std::unique_ptr<RunningServer> server_;
};

TEST_F(NotifyTest, OneNotificationPerChannelDespiteTwoFailuresAndARestart) {
  // The stored results lack the Seattle regression: the next analysis finds it opened.
  RewriteStoredAnalysis(dir_.File("data"), [](json& analysis) {
    auto& incidents = analysis["incidents"];
    for (auto it = incidents.begin(); it != incidents.end();) {
      it = (*it)["slices"][0]["slice"] == json({{"region", "seattle"}}) ? incidents.erase(it)
                                                                        : it + 1;
    }
  });
  Receiver receiver(2);
  const std::string config = WriteConfig(receiver.Port(), 1.0);
  Start(config);
  const json before = Body(Client().Get("/api/notify/log"));
  EXPECT_EQ(before["enabled"], true);
  EXPECT_EQ(before["channels"], json::parse(R"([{"name": "hook", "type": "webhook"},
                                               {"name": "team-slack", "type": "slack"}])"));
  EXPECT_TRUE(before["deliveries"].empty());  // the served results are the baseline

  ASSERT_EQ(Client().Post("/api/analyze")->status, 202);
  const json health = WaitForAnalysis();
  ASSERT_TRUE(health["analysis"]["last_error"].is_null()) << health;
  // The first attempt of each channel fails; then the server goes away.
  ASSERT_TRUE(
      WaitFor([&] { return receiver.Attempts("/hook") >= 1 && receiver.Attempts("/slack") >= 1; },
              std::chrono::seconds(20)));
  server_.reset();
  const auto outbox = notify::LoadOutbox(dir_.File("data"));
  ASSERT_TRUE(outbox.has_value());
  size_t pending = 0;
  for (const auto& delivery : outbox->deliveries) {
    pending += delivery.status == notify::DeliveryStatus::PENDING ? 1 : 0;
  }
  EXPECT_EQ(pending, 2u);

  // A new process on the same results carries on.
  Start(config);
  ASSERT_TRUE(WaitFor(
      [&] { return !receiver.Accepted("/hook").empty() && !receiver.Accepted("/slack").empty(); },
      std::chrono::seconds(30)));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ASSERT_EQ(receiver.Accepted("/hook").size(), 1u);
  ASSERT_EQ(receiver.Accepted("/slack").size(), 1u);
  EXPECT_EQ(receiver.Attempts("/hook"), 3);
  EXPECT_EQ(receiver.Attempts("/slack"), 3);
  for (const auto& id : receiver.EventIds("/hook")) {
    EXPECT_EQ(id, receiver.EventIds("/hook").front());
  }

  const json seattle = IncidentIn("region=seattle");
  ASSERT_FALSE(seattle.is_null());
  const std::string id = seattle["id"];
  const std::string link =
      "http://cx.example.test/incidents/" + id + "?metric=" + seattle["metric"].get<std::string>() +
      "&slice=region%3Dseattle&start=" + seattle["start_date"].get<std::string>();
  const json hook = json::parse(receiver.Accepted("/hook")[0]);
  EXPECT_EQ(hook["event"], "incident_opened");
  EXPECT_EQ(hook["incident"]["id"], id);
  EXPECT_EQ(hook["incident"]["slice_text"], "region=seattle");
  EXPECT_EQ(hook["incident"]["slice"], json({{"region", "seattle"}}));
  ASSERT_TRUE(hook["top_cause"].is_object()) << hook.dump(2);
  EXPECT_FALSE(hook["top_cause"]["cause"].get<std::string>().empty());
  EXPECT_TRUE(hook["top_cause"]["confidence"].is_number());
  EXPECT_EQ(hook["link"], link);
  EXPECT_EQ(hook["cx_change"]["delta"], seattle["delta"]);
  const std::string slack = receiver.Accepted("/slack")[0];
  EXPECT_TRUE(json::parse(slack)["blocks"].is_array());
  for (const std::string& part : {std::string("region=seattle"), link, std::string("confidence"),
                                  hook["top_cause"]["label"].get<std::string>()}) {
    EXPECT_NE(slack.find(part), std::string::npos) << part << "\n" << slack;
  }

  const json log = Body(Client().Get("/api/notify/log"));
  EXPECT_EQ(log["pending"], 0);
  ASSERT_EQ(log["deliveries"].size(), 2u);
  for (const auto& row : log["deliveries"]) {
    EXPECT_EQ(row["status"], "delivered");
    EXPECT_EQ(row["attempts"], 3);
    EXPECT_EQ(row["incident_id"], id);
    EXPECT_EQ(row["event"], "incident_opened");
  }
}

TEST_F(NotifyTest, AFalseAlarmLabelMutesLaterNotificationsOfThatSlice) {
  // The stored results saw the Seattle regression start 8 days early; the team labels it a false
  // alarm. The next analysis (started by --watch when the data changes) finds a regression in
  // the slice that starts inside the labelled window: it is not announced.
  RewriteStoredAnalysis(dir_.File("data"), [](json& analysis) {
    for (auto& incident : analysis["incidents"]) {
      if (incident["slices"][0]["slice"] != json({{"region", "seattle"}})) continue;
      const Date start = ParseDate(incident["start_date"].get<std::string>());
      incident["start_date"] = FormatDate(AddDays(start, -8));
    }
  });
  Receiver receiver(0);
  Start(WriteConfig(receiver.Port(), 0.1), /*watch=*/true);
  const json early = IncidentIn("region=seattle");
  ASSERT_FALSE(early.is_null());
  const auto labelled = Client().Put(
      ("/api/incidents/" + early["id"].get<std::string>() + "/feedback").c_str(),
      R"({"label": "false_alarm", "by": "ana", "note": "a data glitch"})", "application/json");
  ASSERT_EQ(labelled->status, 200) << labelled->body;

  const auto orders = std::filesystem::path(dir_.File("data")) / "orders.parquet";
  std::filesystem::last_write_time(
      orders, std::filesystem::last_write_time(orders) + std::chrono::seconds(10));
  const json health = WaitForAnalysis();
  ASSERT_TRUE(health["analysis"]["last_error"].is_null()) << health;
  EXPECT_EQ(health["schedule"]["last_trigger"]["reason"], "data changed");
  const json later = IncidentIn("region=seattle");
  ASSERT_FALSE(later.is_null());
  EXPECT_GT(later["start_date"].get<std::string>(), early["start_date"].get<std::string>());
  EXPECT_EQ(later["muted"], true);
  EXPECT_EQ(later["muted_by"]["label"], "false_alarm");

  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  EXPECT_EQ(receiver.Attempts("/hook"), 0);
  EXPECT_EQ(receiver.Attempts("/slack"), 0);
  const json log = Body(Client().Get("/api/notify/log"));
  ASSERT_EQ(log["deliveries"].size(), 2u) << log.dump(2);
  for (const auto& row : log["deliveries"]) {
    EXPECT_EQ(row["event"], "incident_opened");
    EXPECT_EQ(row["slice_text"], "region=seattle");
    EXPECT_EQ(row["status"], "muted");
    EXPECT_EQ(row["attempts"], 0);
  }
}

TEST_F(NotifyTest, TestMessagesReportWhatEachChannelAnswered) {
  Receiver receiver(1);
  Start(WriteConfig(receiver.Port(), 0.1));
  const json all = Body(Client().Post("/api/notify/test"));
  ASSERT_EQ(all["results"].size(), 2u);
  EXPECT_EQ(all["results"][0]["channel"], "hook");
  EXPECT_EQ(all["results"][0]["ok"], false);
  EXPECT_EQ(all["results"][0]["http_status"], 503);
  EXPECT_EQ(all["results"][0]["error"], "HTTP 503: busy");
  const json one =
      Body(Client().Post("/api/notify/test", R"({"channel": "hook"})", "application/json"));
  ASSERT_EQ(one["results"].size(), 1u);
  EXPECT_EQ(one["results"][0]["ok"], true);
  EXPECT_EQ(json::parse(receiver.Accepted("/hook")[0])["event"], "test");
  ExpectError(Client().Post("/api/notify/test", R"({"channel": "email"})", "application/json"), 404,
              "not_found", "no notification channel 'email'; channels: hook, team-slack");
  ExpectError(Client().Post("/api/notify/test", R"({"to": "hook"})", "application/json"), 400,
              "invalid_input", "body: unknown field 'to'; allowed: channel");
  ExpectError(Client().Post("/api/notify/test", "{", "application/json"), 400, "invalid_input",
              "body: not valid JSON");
  ExpectError(Client().Get("/api/notify/log?limit=0"), 400, "invalid_input",
              "limit: '0' is not an integer from 1 to 500");
  EXPECT_EQ(Body(Client().Get("/api/notify/log?limit=1"))["deliveries"].size(), 1u);
}

TEST_F(NotifyTest, WithoutChannelsTheLogIsEmptyAndATestIsAConflict) {
  Start("");
  const json log = Body(Client().Get("/api/notify/log"));
  EXPECT_EQ(log["enabled"], false);
  EXPECT_TRUE(log["deliveries"].empty());
  ExpectError(Client().Post("/api/notify/test"), 409, "conflict",
              "notifications are off: the server's --config has no notify.channels");
  EXPECT_FALSE(std::filesystem::exists(notify::OutboxPath(dir_.File("data"))));
}

TEST_F(NotifyTest, AnUnsetChannelUrlVariableStopsTheStart) {
  unsetenv("CX_TEST_UNSET_HOOK");
  const std::string config =
      dir_.Write("cx.yaml",
                 "notify:\n  public_url: http://cx\n  channels: [{name: s, type: slack, url_env: "
                 "CX_TEST_UNSET_HOOK}]\n");
  ServerOptions options;
  options.data_dir = dir_.File("data");
  options.config_path = config;
  EXPECT_EQ(cxagent::testing::ErrorMessage([&] { ApiServer server(options); }),
            "notify channel 's' (url_env CX_TEST_UNSET_HOOK): the environment variable is not set");
}

}  // namespace
}  // namespace cxagent::server
