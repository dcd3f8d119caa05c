#pragma once

#include <cstdint>
#include <deque>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "notify/events.hpp"

namespace cxagent::notify {

//! Where a delivery stands.
enum class DeliveryStatus {
  PENDING,    //!< waiting for its (next) attempt
  DELIVERED,  //!< the channel answered 2xx
  FAILED,     //!< given up after the last attempt (or its channel is gone)
  MUTED,      //!< a false_alarm or expected label muted the incident before it was sent
};

//! The status's name in the file and the API: pending, delivered, failed, muted.
std::string_view DeliveryStatusName(DeliveryStatus status);

//! One event for one channel: the unit that is retried, logged and delivered once.
struct Delivery {
  std::string event_id;     //!< EventId (or `test|time` for a test message)
  std::string event;        //!< incident_opened, severity_raised, incident_resolved or test
  std::string channel;      //!< the channel's name
  std::string incident_id;  //!< the incident's id in the analysis that found the event
  std::string metric;       //!< the incident's metric (for the mute check at send time)
  std::string slice_text;   //!< its slice
  std::string start_date;   //!< its first day
  nlohmann::json payload;   //!< the webhook message (Slack channels get SlackMessage of it)
  DeliveryStatus status = DeliveryStatus::PENDING;  //!< where it stands
  int attempts = 0;                                 //!< attempts made
  std::string created_at;                           //!< UTC time it was enqueued
  int64_t next_attempt_ms = 0;  //!< Unix time in ms of the next attempt (PENDING only)
  std::string last_attempt_at;  //!< UTC time of the last attempt; empty before the first
  std::string delivered_at;     //!< UTC time the channel accepted it
  int http_status = 0;          //!< status of the last answer; 0 when none came
  std::string last_error;       //!< why the last attempt failed; empty when it did not

  //! The delivery as the API lists it (no payload, times as UTC text).
  nlohmann::json ToApiJson() const;
};

//! Everything notifications keep in the data folder, in one file written atomically: the
//! incidents of the last analysis compared (so an event is found once, also across restarts) and
//! the deliveries (pending ones and the latest finished ones, the delivery log).
struct Outbox {
  std::string analyzed_at;           //!< the analysis `known` comes from; empty before the first
  std::vector<KnownIncident> known;  //!< its incidents
  std::deque<Delivery> deliveries;   //!< oldest first
  //! Event ids already enqueued, oldest first (a guard against a repeated event; bounded).
  std::deque<std::string> event_ids;

  //! Drops the oldest finished deliveries beyond `keep_finished` and the oldest event ids
  //! beyond `keep_event_ids`; pending deliveries are always kept.
  void Trim(size_t keep_finished, size_t keep_event_ids);
  //! True when the event id was already enqueued.
  bool Seen(const std::string& event_id) const;
};

//! `DIR/.cxagent/notify_outbox.json`, beside the stored results.
std::string OutboxPath(const std::string& data_dir);

//! Loads the data folder's outbox; nullopt when there is none yet (notifications never ran on
//! it). Throws InvalidInput naming the file when it is damaged.
std::optional<Outbox> LoadOutbox(const std::string& data_dir);

//! Writes the outbox (a temporary file renamed into place: a crash leaves the old or the new
//! file). Throws Io on failure.
void SaveOutbox(const std::string& data_dir, const Outbox& outbox);

//! Formats Unix milliseconds as `YYYY-MM-DDTHH:MM:SSZ`.
std::string FormatUtcMillis(int64_t unix_ms);

//! The current Unix time in milliseconds.
int64_t NowMillis();

}  // namespace cxagent::notify
