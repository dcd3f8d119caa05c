#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace cxagent::server {

//! When `serve` re-analyses by itself: daily at a time of day, and/or when the data changes.
struct ScheduleOptions {
  //! Minutes after midnight, in the process's local time (the data's market time: `serve
  //! --timezone` sets it); none: no daily run.
  std::optional<int> daily_minute;
  bool watch = false;  //!< re-analyse when the data's files change
  //! How often the data's files are looked at (and a missed daily run retried).
  std::chrono::milliseconds poll{std::chrono::seconds(2)};
  //! A change must stay unchanged this long before it triggers (files still being written).
  std::chrono::milliseconds debounce{std::chrono::seconds(5)};
};

//! Parses "HH:MM" (00:00 to 23:59) into minutes after midnight; throws InvalidInput naming
//! `option` and the expected form.
int ParseDailyTime(std::string_view text, std::string_view option);

//! The next local time at `minute` after midnight strictly after `now`.
std::chrono::system_clock::time_point NextDailyRun(std::chrono::system_clock::time_point now,
                                                   int minute);

//! Where `serve --watch` keeps the fingerprint of the data its last analysis read:
//! `DIR/.cxagent/analysed_data.txt`.
std::string AnalysedDataPath(const std::string& data_dir);

//! The fingerprint of the data the stored results were made from, as `serve --watch` recorded
//! it; nullopt when none was recorded (results of `cxagent analyze`, or none yet). Throws Io when
//! the file exists but cannot be read.
std::optional<std::string> LoadAnalysedFingerprint(const std::string& data_dir);

//! Records `fingerprint` as that of the data the stored results were made from (atomically).
//! Throws Io when it cannot be written.
void SaveAnalysedFingerprint(const std::string& data_dir, const std::string& fingerprint);

//! Runs `trigger` on a background thread at the daily time and, with `watch`, when the data's
//! fingerprint differs from that of the data the served results were made from and has held
//! still for the debounce time. `trigger` returns false when it could not start (an analysis
//! already running): the run is retried at the next poll.
class RefreshScheduler {
 public:
  //! `fingerprint` summarises the data's files (storage::DataFingerprint). `analysed` is the
  //! fingerprint of the data the served results were made from (LoadAnalysedFingerprint), so
  //! that data changed while the server was down is re-analysed; nullopt: the data as it is now.
  RefreshScheduler(ScheduleOptions options, std::function<std::string()> fingerprint,
                   std::function<bool(const std::string& reason)> trigger,
                   std::optional<std::string> analysed = std::nullopt);
  //! Stops the thread.
  ~RefreshScheduler();
  RefreshScheduler(const RefreshScheduler&) = delete;
  RefreshScheduler& operator=(const RefreshScheduler&) = delete;

  //! The schedule for /api/health: {"daily_at", "watch", "next_run", "last_trigger"}.
  nlohmann::json State() const;

 private:
  void Loop();

  ScheduleOptions options_;
  std::function<std::string()> fingerprint_;
  std::optional<std::string> analysed_at_start_;
  std::function<bool(const std::string&)> trigger_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::optional<std::chrono::system_clock::time_point> next_daily_;
  std::string last_trigger_at_;
  std::string last_trigger_reason_;
  std::thread thread_;
};

}  // namespace cxagent::server
