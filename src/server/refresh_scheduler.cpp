#include "server/refresh_scheduler.hpp"

#include <spdlog/spdlog.h>

#include <ctime>
#include <filesystem>

#include "common/error.hpp"
#include "common/file.hpp"
#include "server/snapshot.hpp"

namespace cxagent::server {

namespace {

using Clock = std::chrono::system_clock;

std::string UtcText(Clock::time_point time) {
  const std::time_t seconds = Clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace

int ParseDailyTime(std::string_view text, std::string_view option) {
  const auto digit = [&](size_t i) { return text[i] >= '0' && text[i] <= '9'; };
  if (text.size() != 5 || text[2] != ':' || !digit(0) || !digit(1) || !digit(3) || !digit(4)) {
    throw InvalidInput("{}: '{}' is not a time of day; expected HH:MM (00:00 to 23:59)", option,
                       text);
  }
  const int hours = (text[0] - '0') * 10 + (text[1] - '0');
  const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (hours > 23 || minutes > 59) {
    throw InvalidInput("{}: '{}' is not a time of day; expected HH:MM (00:00 to 23:59)", option,
                       text);
  }
  return hours * 60 + minutes;
}

Clock::time_point NextDailyRun(Clock::time_point now, int minute) {
  const std::time_t seconds = Clock::to_time_t(now);
  std::tm local{};
  localtime_r(&seconds, &local);
  // Today at the time, else tomorrow (mktime normalises the day and follows daylight saving).
  for (int day = 0; day < 3; ++day) {
    std::tm at = local;
    at.tm_mday += day;
    at.tm_hour = minute / 60;
    at.tm_min = minute % 60;
    at.tm_sec = 0;
    at.tm_isdst = -1;
    const Clock::time_point candidate = Clock::from_time_t(std::mktime(&at));
    if (candidate > now) return candidate;
  }
  throw InternalError("no next daily run after {}", UtcText(now));
}

std::string AnalysedDataPath(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / ".cxagent" / "analysed_data.txt").string();
}

std::optional<std::string> LoadAnalysedFingerprint(const std::string& data_dir) {
  const std::string path = AnalysedDataPath(data_dir);
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return std::nullopt;
  return ReadFile(path);
}

void SaveAnalysedFingerprint(const std::string& data_dir, const std::string& fingerprint) {
  const auto folder = std::filesystem::path(AnalysedDataPath(data_dir)).parent_path();
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) throw IoError("cannot create {}: {}", folder.string(), error.message());
  WriteFileAtomic(AnalysedDataPath(data_dir), fingerprint);
}

RefreshScheduler::RefreshScheduler(ScheduleOptions options,
                                   std::function<std::string()> fingerprint,
                                   std::function<bool(const std::string& reason)> trigger,
                                   std::optional<std::string> analysed)
    : options_(options),
      fingerprint_(std::move(fingerprint)),
      analysed_at_start_(std::move(analysed)),
      trigger_(std::move(trigger)) {
  if (options_.daily_minute) next_daily_ = NextDailyRun(Clock::now(), *options_.daily_minute);
  if (!options_.daily_minute && !options_.watch) return;
  thread_ = std::thread([this] { Loop(); });
}

RefreshScheduler::~RefreshScheduler() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

nlohmann::json RefreshScheduler::State() const {
  std::lock_guard lock(mutex_);
  nlohmann::json daily = nullptr;
  if (options_.daily_minute) {
    daily = fmt::format("{:02}:{:02}", *options_.daily_minute / 60, *options_.daily_minute % 60);
  }
  return {{"daily_at", daily},
          {"watch", options_.watch},
          {"next_run", next_daily_ ? nlohmann::json(UtcText(*next_daily_)) : nlohmann::json()},
          {"last_trigger",
           last_trigger_at_.empty()
               ? nlohmann::json()
               : nlohmann::json{{"at", last_trigger_at_}, {"reason", last_trigger_reason_}}}};
}

void RefreshScheduler::Loop() {
  std::string seen = options_.watch ? fingerprint_() : std::string();
  std::string analysed = options_.watch ? analysed_at_start_.value_or(seen) : std::string();
  if (seen != analysed) {
    spdlog::info(
        "serve --watch: the data changed since the analysis of the served results (while no "
        "server watched); re-analysing once it holds still");
  }
  auto seen_since = std::chrono::steady_clock::now();
  bool daily_pending = false;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, options_.poll, [this] { return stopping_; });
    if (stopping_) break;
    std::string reason;
    if (next_daily_ && Clock::now() >= *next_daily_) {
      daily_pending = true;
      next_daily_ = NextDailyRun(Clock::now(), *options_.daily_minute);
    }
    std::string current;
    if (options_.watch) {
      lock.unlock();
      try {
        current = fingerprint_();
      } catch (const std::exception& error) {
        spdlog::warn("serve --watch: cannot read the data's files: {}", error.what());
        current = seen;
      }
      lock.lock();
      if (current != seen) {
        seen = current;
        seen_since = std::chrono::steady_clock::now();
      }
    }
    const bool changed = options_.watch && seen != analysed &&
                         std::chrono::steady_clock::now() - seen_since >= options_.debounce;
    if (daily_pending) {
      reason = "schedule";
    } else if (changed) {
      reason = "data changed";
    } else {
      continue;
    }
    lock.unlock();
    bool started = false;
    try {
      started = trigger_(reason);
    } catch (const std::exception& error) {
      spdlog::error("serve: scheduled analysis did not start: {}", error.what());
    }
    lock.lock();
    if (!started) continue;  // one is running: try again at the next poll
    spdlog::info("serve: analysis started ({})", reason);
    last_trigger_at_ = UtcNow();
    last_trigger_reason_ = reason;
    daily_pending = false;
    // The analysis reads the data as it is now; a change after this point triggers again.
    if (options_.watch) analysed = seen;
  }
}

}  // namespace cxagent::server
