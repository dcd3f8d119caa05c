#include "notify/notifier.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "support/test_support.hpp"

namespace cxagent::notify {
namespace {

using nlohmann::json;
using testing::ErrorMessage;
using testing::TempDir;
using Clock = std::chrono::steady_clock;

// Records every POST and answers from a script per channel (then 200).
class FakeTransport : public Transport {
 public:
  struct Call {
    std::string channel;
    std::string body;
    std::string event_id;
    Clock::time_point at;
    bool ok = false;
  };

  PostResult Post(const ChannelConfig& channel, const std::string& body,
                  const std::string& event_id) const override {
    std::lock_guard lock(mutex_);
    PostResult result{.status = 200};
    auto& script = scripts_[channel.name];
    if (always_fail_) {
      result = {.status = 503, .error = "HTTP 503: down"};
    } else if (!script.empty()) {
      result = script.front();
      script.pop_front();
    }
    calls_.push_back({channel.name, body, event_id, Clock::now(), result.Ok()});
    return result;
  }
  void Fail(const std::string& channel, int times) {
    std::lock_guard lock(mutex_);
    for (int i = 0; i < times; ++i) {
      scripts_[channel].push_back({.status = 503, .error = "HTTP 503: busy"});
    }
  }
  void AlwaysFail() {
    std::lock_guard lock(mutex_);
    always_fail_ = true;
  }
  std::vector<Call> Calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  size_t Count(const std::string& channel, bool ok) const {
    std::lock_guard lock(mutex_);
    size_t count = 0;
    for (const auto& call : calls_) count += call.channel == channel && call.ok == ok ? 1 : 0;
    return count;
  }

 private:
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::deque<PostResult>> scripts_;
  mutable std::vector<Call> calls_;
  bool always_fail_ = false;
};

NotifyConfig Config() {
  NotifyConfig config;
  config.public_url = "https://cx.example.com";
  config.retry_initial_seconds = 0.05;
  config.retry_max_seconds = 1;
  config.max_attempts = 5;
  config.channels = {{.name = "hook", .type = ChannelType::WEBHOOK, .url = "http://127.0.0.1:1/h"},
                     {.name = "slack", .type = ChannelType::SLACK, .url = "http://127.0.0.1:1/s"}};
  return config;
}

IncidentFacts Seattle(const std::string& end = "", bool muted = false) {
  IncidentFacts facts;
  facts.id = "INC-0002";
  facts.metric = "cx_score";
  facts.slice_text = "region=seattle";
  facts.slice = {{"region", "seattle"}};
  facts.start_date = "2026-07-31";
  facts.end_date = end;
  facts.severity = "high";
  facts.document = {
      {"baseline", 86.0},
      {"current", 80.0},
      {"delta", -6.0},
      {"rca", {{"causes", {{{"cause", "batching_expansion"}, {"confidence", 0.9}}}}}}};
  facts.muted = muted;
  return facts;
}

template <typename Condition>
bool WaitFor(Condition condition, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

class NotifierTest : public ::testing::Test {
 protected:
  std::unique_ptr<Notifier> Make(std::shared_ptr<FakeTransport> transport,
                                 NotifyConfig config = Config(),
                                 Notifier::MuteCheck muted = nullptr) {
    return std::make_unique<Notifier>(dir_.Path().string(), std::move(config), std::move(transport),
                                      std::move(muted));
  }
  TempDir dir_;
};

TEST_F(NotifierTest, TheFirstAnalysisRecordedIsTheBaselineAndAnnouncesNothing) {
  auto transport = std::make_shared<FakeTransport>();
  auto notifier = Make(transport);
  EXPECT_EQ(notifier->Record({Seattle()}, "t1"), 0u);
  notifier->Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(transport->Calls().empty());
  const auto outbox = LoadOutbox(dir_.Path().string());
  ASSERT_TRUE(outbox.has_value());
  ASSERT_EQ(outbox->known.size(), 1u);
  EXPECT_EQ(outbox->known[0].slice_text, "region=seattle");
}

TEST_F(NotifierTest, AnOpenedIncidentIsDeliveredOncePerChannel) {
  auto transport = std::make_shared<FakeTransport>();
  auto notifier = Make(transport);
  notifier->Record({}, "t1");
  EXPECT_EQ(notifier->Record({Seattle()}, "t2"), 2u);
  notifier->Start();
  ASSERT_TRUE(WaitFor([&] { return notifier->Pending() == 0; }));
  // The same analysis recorded again (a restart, a re-analysis of unchanged data) adds nothing.
  EXPECT_EQ(notifier->Record({Seattle()}, "t3"), 0u);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto calls = transport->Calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(transport->Count("hook", true), 1u);
  EXPECT_EQ(transport->Count("slack", true), 1u);
  for (const auto& call : calls) {
    EXPECT_EQ(call.event_id, "incident_opened|cx_score|region=seattle|2026-07-31");
    const json body = json::parse(call.body);
    if (call.channel == "hook") {
      EXPECT_EQ(body["incident"]["id"], "INC-0002");
      EXPECT_EQ(body["top_cause"]["cause"], "batching_expansion");
      EXPECT_EQ(body["link"],
                "https://cx.example.com/incidents/"
                "INC-0002?metric=cx_score&slice=region%3Dseattle&start=2026-07-31");
    } else {
      EXPECT_TRUE(body["blocks"].is_array());
      EXPECT_NE(call.body.find("region=seattle"), std::string::npos);
    }
  }
  const json log = notifier->Log(10);
  EXPECT_EQ(log["pending"], 0);
  ASSERT_EQ(log["deliveries"].size(), 2u);
  EXPECT_EQ(log["deliveries"][0]["status"], "delivered");
}

TEST_F(NotifierTest, ResolvedAndSeverityRaisedAreEventsToo) {
  auto transport = std::make_shared<FakeTransport>();
  auto notifier = Make(transport);
  IncidentFacts low = Seattle();
  low.severity = "low";
  notifier->Record({low}, "t1");
  EXPECT_EQ(notifier->Record({Seattle()}, "t2"), 2u);
  EXPECT_EQ(notifier->Record({Seattle("2026-08-10")}, "t3"), 2u);
  const json log = notifier->Log(10);
  ASSERT_EQ(log["deliveries"].size(), 4u);
  EXPECT_EQ(log["deliveries"][0]["event"], "incident_resolved");
  EXPECT_EQ(log["deliveries"][3]["event"], "severity_raised");
}

TEST_F(NotifierTest, RetriesWithExponentialBackoffUntilDelivered) {
  auto transport = std::make_shared<FakeTransport>();
  transport->Fail("hook", 2);
  auto notifier = Make(transport);
  notifier->Record({}, "t1");
  notifier->Record({Seattle()}, "t2");
  notifier->Start();
  ASSERT_TRUE(WaitFor([&] { return notifier->Pending() == 0; }));
  EXPECT_EQ(transport->Count("hook", false), 2u);
  EXPECT_EQ(transport->Count("hook", true), 1u);
  EXPECT_EQ(transport->Count("slack", true), 1u);
  std::vector<Clock::time_point> attempts;
  for (const auto& call : transport->Calls()) {
    if (call.channel == "hook") attempts.push_back(call.at);
  }
  ASSERT_EQ(attempts.size(), 3u);
  // 50 ms after the first failure, then 100 ms after the second.
  EXPECT_GE(attempts[1] - attempts[0], std::chrono::milliseconds(45));
  EXPECT_GE(attempts[2] - attempts[1], std::chrono::milliseconds(95));
  const json log = notifier->Log(10);
  for (const auto& row : log["deliveries"]) {
    if (row["channel"] != "hook") continue;
    EXPECT_EQ(row["attempts"], 3);
    EXPECT_EQ(row["status"], "delivered");
    EXPECT_EQ(row["http_status"], 200);
    EXPECT_TRUE(row["last_error"].is_null());
  }
}

TEST_F(NotifierTest, BackoffDoublesUpToTheMaximum) {
  NotifyConfig config;
  config.retry_initial_seconds = 30;
  config.retry_max_seconds = 3600;
  EXPECT_EQ(Notifier::BackoffMillis(config, 1), 30000);
  EXPECT_EQ(Notifier::BackoffMillis(config, 2), 60000);
  EXPECT_EQ(Notifier::BackoffMillis(config, 3), 120000);
  EXPECT_EQ(Notifier::BackoffMillis(config, 9), 3600000);
  EXPECT_EQ(Notifier::BackoffMillis(config, 60), 3600000);
}

TEST_F(NotifierTest, ARestartLosesAndDuplicatesNothing) {
  {
    auto down = std::make_shared<FakeTransport>();
    down->AlwaysFail();
    NotifyConfig config = Config();
    config.max_attempts = 100;  // still pending when the process goes, however slow the machine
    auto notifier = Make(down, config);
    notifier->Record({}, "t1");
    notifier->Record({Seattle()}, "t2");
    notifier->Start();
    ASSERT_TRUE(WaitFor([&] { return down->Calls().size() >= 2; }));
  }  // the process goes away with both deliveries pending
  const auto saved = LoadOutbox(dir_.Path().string());
  ASSERT_TRUE(saved.has_value());
  ASSERT_EQ(saved->deliveries.size(), 2u);
  for (const auto& delivery : saved->deliveries) {
    EXPECT_EQ(delivery.status, DeliveryStatus::PENDING);
    EXPECT_GE(delivery.attempts, 1);
  }
  auto up = std::make_shared<FakeTransport>();
  auto notifier = Make(up);
  // What serve does on start: record the served analysis again, then send.
  EXPECT_EQ(notifier->Record({Seattle()}, "t2"), 0u);
  notifier->Start();
  ASSERT_TRUE(WaitFor([&] { return notifier->Pending() == 0; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(up->Count("hook", true), 1u);
  EXPECT_EQ(up->Count("slack", true), 1u);
  EXPECT_EQ(up->Calls().size(), 2u);
}

TEST_F(NotifierTest, GivesUpAfterTheLastAttempt) {
  auto transport = std::make_shared<FakeTransport>();
  transport->AlwaysFail();
  NotifyConfig config = Config();
  config.max_attempts = 2;
  auto notifier = Make(transport, config);
  notifier->Record({}, "t1");
  notifier->Record({Seattle()}, "t2");
  notifier->Start();
  ASSERT_TRUE(WaitFor([&] { return notifier->Pending() == 0; }));
  EXPECT_EQ(transport->Calls().size(), 4u);
  const nlohmann::json log = notifier->Log(10);
  for (const auto& row : log["deliveries"]) {
    EXPECT_EQ(row["status"], "failed");
    EXPECT_EQ(row["attempts"], 2);
    EXPECT_EQ(row["last_error"], "HTTP 503: down");
  }
}

TEST_F(NotifierTest, AMutedIncidentIsLoggedAndNotSent) {
  auto transport = std::make_shared<FakeTransport>();
  auto notifier = Make(transport);
  notifier->Record({}, "t1");
  EXPECT_EQ(notifier->Record({Seattle("", true)}, "t2"), 0u);
  notifier->Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  EXPECT_TRUE(transport->Calls().empty());
  const json log = notifier->Log(10);
  ASSERT_EQ(log["deliveries"].size(), 2u);
  EXPECT_EQ(log["deliveries"][0]["status"], "muted");
}

TEST_F(NotifierTest, ALabelGivenWhileADeliveryWaitsMutesIt) {
  auto transport = std::make_shared<FakeTransport>();
  // The hook keeps failing, so only the mute can end its delivery, however slow this machine.
  transport->Fail("hook", 1000);
  NotifyConfig config = Config();
  config.max_attempts = 100;
  std::atomic<bool> muted{false};
  auto notifier = Make(transport, config, [&muted](const Delivery& delivery) {
    return muted.load() && delivery.slice_text == "region=seattle";
  });
  notifier->Record({}, "t1");
  notifier->Record({Seattle()}, "t2");
  notifier->Start();
  ASSERT_TRUE(WaitFor([&] { return transport->Count("hook", false) == 1; }));
  muted = true;
  ASSERT_TRUE(WaitFor([&] { return notifier->Pending() == 0; }));
  EXPECT_EQ(transport->Count("hook", true), 0u);
  const json log = notifier->Log(10);
  bool hook_muted = false;
  for (const auto& row : log["deliveries"]) {
    if (row["channel"] == "hook") hook_muted = row["status"] == "muted";
  }
  EXPECT_TRUE(hook_muted) << log.dump(2);
}

TEST_F(NotifierTest, TestMessagesGoToEveryChannelOrTheOneNamed) {
  auto transport = std::make_shared<FakeTransport>();
  transport->Fail("slack", 1);
  auto notifier = Make(transport);
  notifier->Record({}, "t1");
  const json all = notifier->SendTest(std::nullopt);
  ASSERT_EQ(all["results"].size(), 2u);
  EXPECT_EQ(all["results"][0]["channel"], "hook");
  EXPECT_EQ(all["results"][0]["ok"], true);
  EXPECT_EQ(all["results"][1]["ok"], false);
  EXPECT_EQ(all["results"][1]["http_status"], 503);
  EXPECT_EQ(all["results"][1]["error"], "HTTP 503: busy");
  const json one = notifier->SendTest("slack");
  ASSERT_EQ(one["results"].size(), 1u);
  EXPECT_EQ(one["results"][0]["ok"], true);
  EXPECT_EQ(ErrorMessage([&] { notifier->SendTest("email"); }, ErrorType::NOT_FOUND),
            "no notification channel 'email'; channels: hook, slack");
  const json log = notifier->Log(10);
  ASSERT_EQ(log["deliveries"].size(), 3u);
  EXPECT_EQ(log["deliveries"][0]["event"], "test");
}

}  // namespace
}  // namespace cxagent::notify
