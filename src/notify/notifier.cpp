#include "notify/notifier.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "common/error.hpp"
#include "storage/incident_status.hpp"

namespace cxagent::notify {

namespace {

using nlohmann::json;

// Finished deliveries kept for the log, and event ids kept against repeats.
constexpr size_t KEEP_FINISHED = 500;
constexpr size_t KEEP_EVENT_IDS = 5000;

std::string Body(const ChannelConfig& channel, const json& payload) {
  return channel.type == ChannelType::SLACK ? SlackMessage(payload).dump() : payload.dump();
}

}  // namespace

Notifier::Notifier(std::string data_dir, NotifyConfig config,
                   std::shared_ptr<const Transport> transport, MuteCheck muted)
    : data_dir_(std::move(data_dir)),
      config_(std::move(config)),
      transport_(std::move(transport)),
      muted_(std::move(muted)) {
  std::optional<Outbox> loaded = LoadOutbox(data_dir_);
  first_run_ = !loaded.has_value();
  if (loaded) outbox_ = std::move(*loaded);
}

Notifier::~Notifier() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int64_t Notifier::BackoffMillis(const NotifyConfig& config, int attempts) {
  const double factor = std::pow(2.0, std::max(0, attempts - 1));
  const double seconds = std::min(config.retry_initial_seconds * factor, config.retry_max_seconds);
  return static_cast<int64_t>(std::llround(seconds * 1000));
}

const ChannelConfig* Notifier::FindChannel(const std::string& name) const {
  for (const auto& channel : config_.channels) {
    if (channel.name == name) return &channel;
  }
  return nullptr;
}

void Notifier::SaveLocked() {
  outbox_.Trim(KEEP_FINISHED, KEEP_EVENT_IDS);
  SaveOutbox(data_dir_, outbox_);
}

size_t Notifier::Record(const std::vector<IncidentFacts>& incidents,
                        const std::string& analyzed_at) {
  std::lock_guard lock(mutex_);
  Outbox next = outbox_;
  size_t queued = 0;
  if (first_run_) {
    spdlog::info(
        "notify: first analysis recorded in {}: its {} incidents are the baseline (not "
        "announced)",
        data_dir_, incidents.size());
  } else {
    const std::string now = FormatUtcMillis(NowMillis());
    for (const IncidentChange& change :
         DiffIncidents(outbox_.known, incidents, storage::INCIDENT_START_TOLERANCE_DAYS)) {
      const IncidentFacts& incident = incidents[change.incident];
      const std::string event_id = EventId(change, incident);
      if (next.Seen(event_id)) continue;
      next.event_ids.push_back(event_id);
      const json payload = EventPayload(change, incident, config_.public_url, analyzed_at);
      for (const auto& channel : config_.channels) {
        Delivery delivery{.event_id = event_id,
                          .event = std::string(EventKindName(change.kind)),
                          .channel = channel.name,
                          .incident_id = incident.id,
                          .metric = incident.metric,
                          .slice_text = incident.slice_text,
                          .start_date = incident.start_date,
                          .payload = payload,
                          .created_at = now,
                          .next_attempt_ms = NowMillis()};
        if (incident.muted) {
          delivery.status = DeliveryStatus::MUTED;
          delivery.last_error = "muted by a false_alarm or expected label";
        } else {
          ++queued;
        }
        next.deliveries.push_back(std::move(delivery));
      }
    }
  }
  next.known = ToKnown(incidents);
  next.analyzed_at = analyzed_at;
  next.Trim(KEEP_FINISHED, KEEP_EVENT_IDS);
  // Written before it is adopted: a failed write queues nothing and the next analysis finds the
  // same events again.
  SaveOutbox(data_dir_, next);
  outbox_ = std::move(next);
  first_run_ = false;
  if (queued > 0) {
    spdlog::info("notify: {} deliveries queued for analysis of {}", queued, analyzed_at);
  }
  wake_.notify_all();
  return queued;
}

void Notifier::Start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Loop(); });
}

void Notifier::Loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const Delivery* due = nullptr;
    for (const auto& delivery : outbox_.deliveries) {
      if (delivery.status != DeliveryStatus::PENDING) continue;
      if (due == nullptr || delivery.next_attempt_ms < due->next_attempt_ms) due = &delivery;
    }
    if (due == nullptr) {
      wake_.wait(lock);
      continue;
    }
    const int64_t now = NowMillis();
    if (due->next_attempt_ms > now) {
      wake_.wait_for(lock, std::chrono::milliseconds(due->next_attempt_ms - now));
      continue;
    }
    const Delivery attempt = *due;
    lock.unlock();

    const ChannelConfig* channel = FindChannel(attempt.channel);
    bool muted = false;
    PostResult result;
    if (channel == nullptr) {
      result.error = fmt::format("channel '{}' is no longer configured", attempt.channel);
    } else if (muted_ && attempt.event != "test" && muted_(attempt)) {
      muted = true;
    } else {
      result = transport_->Post(*channel, Body(*channel, attempt.payload), attempt.event_id);
    }

    lock.lock();
    const auto found = std::find_if(
        outbox_.deliveries.begin(), outbox_.deliveries.end(), [&attempt](const Delivery& d) {
          return d.status == DeliveryStatus::PENDING && d.event_id == attempt.event_id &&
                 d.channel == attempt.channel;
        });
    if (found == outbox_.deliveries.end()) continue;
    Delivery& delivery = *found;
    const int64_t finished = NowMillis();
    if (muted) {
      delivery.status = DeliveryStatus::MUTED;
      delivery.last_error = "muted by a false_alarm or expected label before it was sent";
    } else {
      ++delivery.attempts;
      delivery.last_attempt_at = FormatUtcMillis(finished);
      delivery.http_status = result.status;
      delivery.last_error = result.error;
      if (result.Ok()) {
        delivery.status = DeliveryStatus::DELIVERED;
        delivery.delivered_at = delivery.last_attempt_at;
        spdlog::info("notify: {} delivered to {}", delivery.event_id, delivery.channel);
      } else if (channel == nullptr || delivery.attempts >= config_.max_attempts) {
        delivery.status = DeliveryStatus::FAILED;
        spdlog::error("notify: {} to {} failed for good after {} attempts: {}", delivery.event_id,
                      delivery.channel, delivery.attempts, result.error);
      } else {
        delivery.next_attempt_ms = finished + BackoffMillis(config_, delivery.attempts);
        spdlog::warn("notify: {} to {} failed (attempt {}): {}; next attempt at {}",
                     delivery.event_id, delivery.channel, delivery.attempts, result.error,
                     FormatUtcMillis(delivery.next_attempt_ms));
      }
    }
    try {
      SaveLocked();
    } catch (const Error& error) {
      // The outcome stays in memory and is written with the next change; if the process dies
      // first, a delivered message may be sent again (with the same event_id).
      spdlog::error("notify: cannot write the outbox: {}", error.what());
    }
  }
}

json Notifier::Log(size_t limit) const {
  std::lock_guard lock(mutex_);
  json channels = json::array();
  for (const auto& channel : config_.channels) {
    channels.push_back({{"name", channel.name}, {"type", ChannelTypeName(channel.type)}});
  }
  size_t pending = 0;
  json deliveries = json::array();
  for (auto it = outbox_.deliveries.rbegin(); it != outbox_.deliveries.rend(); ++it) {
    if (it->status == DeliveryStatus::PENDING) ++pending;
    if (deliveries.size() < limit) deliveries.push_back(it->ToApiJson());
  }
  return {
      {"enabled", true}, {"channels", channels}, {"pending", pending}, {"deliveries", deliveries}};
}

json Notifier::SendTest(const std::optional<std::string>& channel_name) {
  std::vector<const ChannelConfig*> targets;
  if (channel_name) {
    const ChannelConfig* channel = FindChannel(*channel_name);
    if (channel == nullptr) {
      std::vector<std::string> names;
      for (const auto& known : config_.channels) names.push_back(known.name);
      throw NotFound("no notification channel '{}'; channels: {}", *channel_name,
                     fmt::join(names, ", "));
    }
    targets.push_back(channel);
  } else {
    for (const auto& channel : config_.channels) targets.push_back(&channel);
  }
  json results = json::array();
  std::vector<Delivery> logged;
  for (const ChannelConfig* channel : targets) {
    const std::string sent_at = FormatUtcMillis(NowMillis());
    const json payload = TestPayload(config_.public_url, sent_at);
    const std::string event_id = payload.at("event_id").get<std::string>();
    const PostResult result = transport_->Post(*channel, Body(*channel, payload), event_id);
    results.push_back({{"channel", channel->name},
                       {"type", ChannelTypeName(channel->type)},
                       {"ok", result.Ok()},
                       {"http_status", result.status == 0 ? json() : json(result.status)},
                       {"error", result.error.empty() ? json() : json(result.error)}});
    logged.push_back({.event_id = event_id,
                      .event = "test",
                      .channel = channel->name,
                      .payload = payload,
                      .status = result.Ok() ? DeliveryStatus::DELIVERED : DeliveryStatus::FAILED,
                      .attempts = 1,
                      .created_at = sent_at,
                      .last_attempt_at = sent_at,
                      .delivered_at = result.Ok() ? sent_at : "",
                      .http_status = result.status,
                      .last_error = result.error});
  }
  std::lock_guard lock(mutex_);
  for (auto& delivery : logged) outbox_.deliveries.push_back(std::move(delivery));
  // Before the baseline is recorded, a file would make the next start take "no incidents" as
  // known and announce them all; the test stays in memory until then.
  if (first_run_) return {{"results", results}};
  try {
    SaveLocked();
  } catch (const Error& error) {
    spdlog::error("notify: cannot write the outbox: {}", error.what());
  }
  return {{"results", results}};
}

size_t Notifier::Pending() const {
  std::lock_guard lock(mutex_);
  return static_cast<size_t>(std::count_if(
      outbox_.deliveries.begin(), outbox_.deliveries.end(),
      [](const Delivery& delivery) { return delivery.status == DeliveryStatus::PENDING; }));
}

}  // namespace cxagent::notify
