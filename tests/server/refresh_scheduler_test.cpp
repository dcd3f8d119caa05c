#include "server/refresh_scheduler.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <thread>

#include "server/api_fixture.hpp"
#include "storage/dataset.hpp"
#include "support/test_support.hpp"

namespace cxagent::server {
namespace {

using cxagent::testing::ErrorMessage;
using cxagent::testing::TempDir;
using testing::Body;
using testing::CopyWorld;
using testing::RunningServer;
using Clock = std::chrono::system_clock;

TEST(RefreshSchedulerTest, ParsesATimeOfDayAndRejectsAnythingElse) {
  EXPECT_EQ(ParseDailyTime("06:30", "--schedule"), 390);
  EXPECT_EQ(ParseDailyTime("00:00", "--schedule"), 0);
  EXPECT_EQ(ParseDailyTime("23:59", "--schedule"), 1439);
  for (const char* bad : {"6:30", "24:00", "12:60", "0630", "12:3x", "", "12:30:00"}) {
    EXPECT_EQ(ErrorMessage([&] { ParseDailyTime(bad, "--schedule"); }),
              std::string("--schedule: '") + bad +
                  "' is not a time of day; expected HH:MM (00:00 to 23:59)");
  }
}

TEST(RefreshSchedulerTest, TheNextDailyRunIsTodayIfStillAheadElseTomorrow) {
  std::tm at{};
  at.tm_year = 2026 - 1900;
  at.tm_mon = 6;
  at.tm_mday = 15;
  at.tm_hour = 8;
  at.tm_isdst = -1;
  const Clock::time_point eight = Clock::from_time_t(std::mktime(&at));
  EXPECT_EQ(NextDailyRun(eight, 9 * 60) - eight, std::chrono::hours(1));
  EXPECT_EQ(NextDailyRun(eight, 8 * 60) - eight, std::chrono::hours(24));  // strictly after
  EXPECT_EQ(NextDailyRun(eight, 7 * 60) - eight, std::chrono::hours(23));
}

TEST(RefreshSchedulerTest, AChangeTriggersOnceItHoldsStillAndAgainOnlyAfterTheNextChange) {
  std::atomic<int> version{0};
  std::atomic<int> triggers{0};
  std::atomic<bool> busy{true};
  ScheduleOptions options;
  options.watch = true;
  options.poll = std::chrono::milliseconds(20);
  options.debounce = std::chrono::milliseconds(100);
  RefreshScheduler scheduler(
      options, [&] { return std::to_string(version.load()); },
      [&](const std::string& reason) {
        EXPECT_EQ(reason, "data changed");
        if (busy) return false;  // an analysis is running: retried at the next poll
        ++triggers;
        return true;
      });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(triggers, 0);  // nothing changed
  version = 1;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(triggers, 0);  // refused while busy
  busy = false;
  for (int i = 0; i < 100 && triggers == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(triggers, 1);
  EXPECT_EQ(scheduler.State()["last_trigger"]["reason"], "data changed");
  EXPECT_TRUE(scheduler.State()["watch"].get<bool>());
  EXPECT_TRUE(scheduler.State()["daily_at"].is_null());
}

TEST(RefreshSchedulerTest, DataThatDiffersFromWhatWasAnalysedAtTheStartIsReanalysedOnce) {
  std::atomic<int> triggers{0};
  ScheduleOptions options;
  options.watch = true;
  options.poll = std::chrono::milliseconds(20);
  options.debounce = std::chrono::milliseconds(100);
  const auto count = [&](const std::string& reason) {
    EXPECT_EQ(reason, "data changed");
    ++triggers;
    return true;
  };
  {
    // The results were made from "0"; the data is "1" when the scheduler starts.
    RefreshScheduler scheduler(
        options, [] { return std::string("1"); }, count, "0");
    for (int i = 0; i < 100 && triggers == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(triggers, 1);
  }
  triggers = 0;
  {
    RefreshScheduler scheduler(
        options, [] { return std::string("1"); }, count, "1");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(triggers, 0);  // the results are of the data as it is
  }
}

TEST(RefreshSchedulerTest, ServeWatchReanalysesDataThatChangedWhileItWasDown) {
  TempDir dir;
  CopyWorld(dir.Path() / "data");  // with results `cxagent analyze` made, and no record
  ServerOptions options;
  options.data_dir = dir.File("data");
  options.watch = true;
  options.watch_debounce_ms = 200;
  const storage::DatasetOptions data{.folder = options.data_dir};
  const auto started_at = [](RunningServer& server) {
    return Body(server.Client().Get("/api/health"))["analysis"]["started_at"];
  };
  {
    RunningServer server(options);
    // Those results are taken as made from the data as it is: recorded, and nothing to redo.
    EXPECT_EQ(LoadAnalysedFingerprint(options.data_dir), storage::DataFingerprint(data));
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    EXPECT_TRUE(started_at(server).is_null());
  }
  // A file re-delivered while no server runs.
  const auto orders = std::filesystem::path(options.data_dir) / "orders.parquet";
  std::filesystem::last_write_time(
      orders, std::filesystem::last_write_time(orders) + std::chrono::seconds(10));
  {
    RunningServer server(options);
    nlohmann::json health;
    for (int i = 0; i < 300; ++i) {
      health = Body(server.Client().Get("/api/health"));
      if (!health["analysis"]["finished_at"].is_null()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_FALSE(health["analysis"]["finished_at"].is_null()) << health.dump();
    EXPECT_TRUE(health["analysis"]["last_error"].is_null()) << health.dump();
    EXPECT_EQ(health["schedule"]["last_trigger"]["reason"], "data changed");
    EXPECT_EQ(LoadAnalysedFingerprint(options.data_dir), storage::DataFingerprint(data));
  }
  {
    RunningServer server(options);  // nothing changed since that analysis
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    EXPECT_TRUE(started_at(server).is_null());
  }
}

TEST(RefreshSchedulerTest, ServeWatchReanalysesWhenADataFileChanges) {
  TempDir dir;
  CopyWorld(dir.Path() / "data");
  ServerOptions options;
  options.data_dir = dir.File("data");
  options.watch = true;
  options.watch_debounce_ms = 200;
  options.schedule = "05:45";
  RunningServer server(options);
  auto health = Body(server.Client().Get("/api/health"));
  EXPECT_EQ(health["schedule"]["daily_at"], "05:45");
  EXPECT_EQ(health["schedule"]["next_run"].get<std::string>().size(), 20u);
  EXPECT_TRUE(health["analysis"]["started_at"].is_null());
  // A re-delivered file: same content, new modification time.
  const auto orders = std::filesystem::path(options.data_dir) / "orders.parquet";
  std::filesystem::last_write_time(
      orders, std::filesystem::last_write_time(orders) + std::chrono::seconds(10));
  for (int i = 0; i < 300; ++i) {
    health = Body(server.Client().Get("/api/health"));
    if (!health["analysis"]["finished_at"].is_null()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_FALSE(health["analysis"]["finished_at"].is_null()) << health.dump();
  EXPECT_TRUE(health["analysis"]["last_error"].is_null()) << health.dump();
  EXPECT_EQ(health["schedule"]["last_trigger"]["reason"], "data changed");
}

TEST(RefreshSchedulerTest, TheFingerprintIgnoresResultsAndSeesNewFiles) {
  TempDir dir;
  dir.Write("orders.csv", "order_id,order_date,status\n");
  const storage::DatasetOptions data{.folder = dir.Path().string()};
  const std::string before = storage::DataFingerprint(data);
  std::filesystem::create_directories(dir.Path() / ".cxagent");
  dir.Write(".cxagent/results.duckdb", "x");
  EXPECT_EQ(storage::DataFingerprint(data), before);
  dir.Write("ratings.csv", "order_id,rating\n");
  EXPECT_NE(storage::DataFingerprint(data), before);
}

}  // namespace
}  // namespace cxagent::server
