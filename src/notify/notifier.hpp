#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "notify/config.hpp"
#include "notify/events.hpp"
#include "notify/outbox.hpp"
#include "notify/transport.hpp"

namespace cxagent::notify {

//! Turns each analysis into incident events and delivers each event once per channel: the events
//! and the incidents they were found against are written to the outbox file in one atomic write,
//! a background thread sends the pending deliveries with exponential backoff between attempts and
//! writes each outcome, and a new Notifier on the same data folder (a restart) carries on with
//! what was pending. A crash in the instant between a channel's 2xx and the outbox write is the
//! one case that sends a message twice; every message carries its `event_id` (also as the
//! `X-Cxagent-Event-Id` header) for the receiver to drop such a repeat.
class Notifier {
 public:
  //! True when a pending delivery's incident is muted now (a label added after it was queued).
  using MuteCheck = std::function<bool(const Delivery&)>;

  //! Loads the folder's outbox (throws InvalidInput when it is damaged); sends nothing before
  //! Start().
  Notifier(std::string data_dir, NotifyConfig config, std::shared_ptr<const Transport> transport,
           MuteCheck muted);
  //! Stops the sender thread (after the attempt in flight, if any).
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  //! Compares an analysis's incidents with those of the previous one recorded and queues one
  //! delivery per event and channel (muted incidents are logged as muted, not sent); returns the
  //! number of deliveries queued. The first analysis recorded in a data folder is the baseline:
  //! its incidents are taken as known and announce nothing. Throws Io when the outbox cannot be
  //! written (nothing is then queued).
  size_t Record(const std::vector<IncidentFacts>& incidents, const std::string& analyzed_at);
  //! Starts the background sender.
  void Start();
  //! The delivery log for the API: {"enabled", "channels", "pending", "deliveries"} with at most
  //! `limit` deliveries, newest first.
  nlohmann::json Log(size_t limit) const;
  //! Sends a test message to every channel, or to the one named, now (no retries) and logs it;
  //! returns {"results": [{"channel", "type", "ok", "http_status", "error"}]}. Throws NotFound
  //! for an unknown channel name.
  nlohmann::json SendTest(const std::optional<std::string>& channel);
  //! Deliveries still pending.
  size_t Pending() const;
  //! The wait after the `attempts`-th failed attempt: retry_initial_seconds doubled per earlier
  //! failure, at most retry_max_seconds; in ms.
  static int64_t BackoffMillis(const NotifyConfig& config, int attempts);

 private:
  void Loop();
  void SaveLocked();
  const ChannelConfig* FindChannel(const std::string& name) const;

  std::string data_dir_;
  NotifyConfig config_;
  std::shared_ptr<const Transport> transport_;
  MuteCheck muted_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool first_run_ = false;  // no outbox file yet: the first Record is the baseline
  Outbox outbox_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cxagent::notify
