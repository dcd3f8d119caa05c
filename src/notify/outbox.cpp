#include "notify/outbox.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "common/error.hpp"
#include "common/file.hpp"

namespace cxagent::notify {

namespace {

using nlohmann::json;

constexpr int FORMAT_VERSION = 1;

DeliveryStatus ParseStatus(const std::string& text) {
  if (text == "pending") return DeliveryStatus::PENDING;
  if (text == "delivered") return DeliveryStatus::DELIVERED;
  if (text == "failed") return DeliveryStatus::FAILED;
  if (text == "muted") return DeliveryStatus::MUTED;
  throw InvalidInput("unknown delivery status '{}'", text);
}

json TextOrNull(const std::string& text) {
  return text.empty() ? json() : json(text);
}

json KnownJson(const KnownIncident& incident) {
  return {{"metric", incident.metric},
          {"slice_text", incident.slice_text},
          {"start_date", incident.start_date},
          {"end_date", TextOrNull(incident.end_date)},
          {"severity", incident.severity}};
}

KnownIncident ParseKnown(const json& entry) {
  return {.metric = entry.at("metric").get<std::string>(),
          .slice_text = entry.at("slice_text").get<std::string>(),
          .start_date = entry.at("start_date").get<std::string>(),
          .end_date = entry.at("end_date").is_null() ? "" : entry.at("end_date").get<std::string>(),
          .severity = entry.at("severity").get<std::string>()};
}

json DeliveryJson(const Delivery& delivery) {
  return {{"event_id", delivery.event_id},
          {"event", delivery.event},
          {"channel", delivery.channel},
          {"incident_id", delivery.incident_id},
          {"metric", delivery.metric},
          {"slice_text", delivery.slice_text},
          {"start_date", delivery.start_date},
          {"payload", delivery.payload},
          {"status", DeliveryStatusName(delivery.status)},
          {"attempts", delivery.attempts},
          {"created_at", delivery.created_at},
          {"next_attempt_ms", delivery.next_attempt_ms},
          {"last_attempt_at", delivery.last_attempt_at},
          {"delivered_at", delivery.delivered_at},
          {"http_status", delivery.http_status},
          {"last_error", delivery.last_error}};
}

Delivery ParseDelivery(const json& entry) {
  Delivery delivery;
  delivery.event_id = entry.at("event_id").get<std::string>();
  delivery.event = entry.at("event").get<std::string>();
  delivery.channel = entry.at("channel").get<std::string>();
  delivery.incident_id = entry.at("incident_id").get<std::string>();
  delivery.metric = entry.at("metric").get<std::string>();
  delivery.slice_text = entry.at("slice_text").get<std::string>();
  delivery.start_date = entry.at("start_date").get<std::string>();
  delivery.payload = entry.at("payload");
  delivery.status = ParseStatus(entry.at("status").get<std::string>());
  delivery.attempts = entry.at("attempts").get<int>();
  delivery.created_at = entry.at("created_at").get<std::string>();
  delivery.next_attempt_ms = entry.at("next_attempt_ms").get<int64_t>();
  delivery.last_attempt_at = entry.at("last_attempt_at").get<std::string>();
  delivery.delivered_at = entry.at("delivered_at").get<std::string>();
  delivery.http_status = entry.at("http_status").get<int>();
  delivery.last_error = entry.at("last_error").get<std::string>();
  return delivery;
}

}  // namespace

std::string_view DeliveryStatusName(DeliveryStatus status) {
  switch (status) {
    case DeliveryStatus::PENDING:
      return "pending";
    case DeliveryStatus::DELIVERED:
      return "delivered";
    case DeliveryStatus::FAILED:
      return "failed";
    case DeliveryStatus::MUTED:
      return "muted";
  }
  return "";
}

json Delivery::ToApiJson() const {
  return {{"event_id", event_id},
          {"event", event},
          {"channel", channel},
          {"incident_id", TextOrNull(incident_id)},
          {"slice_text", TextOrNull(slice_text)},
          {"status", DeliveryStatusName(status)},
          {"attempts", attempts},
          {"created_at", created_at},
          {"next_attempt_at",
           status == DeliveryStatus::PENDING ? json(FormatUtcMillis(next_attempt_ms)) : json()},
          {"last_attempt_at", TextOrNull(last_attempt_at)},
          {"delivered_at", TextOrNull(delivered_at)},
          {"http_status", http_status == 0 ? json() : json(http_status)},
          {"last_error", TextOrNull(last_error)},
          {"summary", payload.value("summary", std::string())}};
}

void Outbox::Trim(size_t keep_finished, size_t keep_event_ids) {
  size_t finished = 0;
  for (const auto& delivery : deliveries) {
    if (delivery.status != DeliveryStatus::PENDING) ++finished;
  }
  for (auto it = deliveries.begin(); it != deliveries.end() && finished > keep_finished;) {
    if (it->status == DeliveryStatus::PENDING) {
      ++it;
      continue;
    }
    it = deliveries.erase(it);
    --finished;
  }
  while (event_ids.size() > keep_event_ids) event_ids.pop_front();
}

bool Outbox::Seen(const std::string& event_id) const {
  return std::find(event_ids.begin(), event_ids.end(), event_id) != event_ids.end();
}

std::string OutboxPath(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / ".cxagent" / "notify_outbox.json").string();
}

std::optional<Outbox> LoadOutbox(const std::string& data_dir) {
  const std::string path = OutboxPath(data_dir);
  if (!std::filesystem::exists(path)) return std::nullopt;
  Outbox outbox;
  try {
    const json document = json::parse(ReadFile(path));
    if (document.value("version", 0) != FORMAT_VERSION) {
      throw InvalidInput("{}: unknown format version (expected {})", path, FORMAT_VERSION);
    }
    outbox.analyzed_at = document.at("analyzed_at").get<std::string>();
    for (const auto& entry : document.at("known")) outbox.known.push_back(ParseKnown(entry));
    for (const auto& entry : document.at("deliveries")) {
      outbox.deliveries.push_back(ParseDelivery(entry));
    }
    for (const auto& id : document.at("event_ids"))
      outbox.event_ids.push_back(id.get<std::string>());
  } catch (const json::exception& error) {
    throw InvalidInput(
        "{}: damaged notification outbox ({}); fix or delete it (deleting it "
        "drops pending notifications and takes the served incidents as known)",
        path, error.what());
  } catch (const Error& error) {
    throw InvalidInput("{}: damaged notification outbox ({}); fix or delete it", path,
                       error.what());
  }
  return outbox;
}

void SaveOutbox(const std::string& data_dir, const Outbox& outbox) {
  const std::string path = OutboxPath(data_dir);
  const auto folder = std::filesystem::path(path).parent_path();
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) throw IoError("cannot create {}: {}", folder.string(), error.message());
  json known = json::array();
  for (const auto& incident : outbox.known) known.push_back(KnownJson(incident));
  json deliveries = json::array();
  for (const auto& delivery : outbox.deliveries) deliveries.push_back(DeliveryJson(delivery));
  const json document = {{"version", FORMAT_VERSION},
                         {"analyzed_at", outbox.analyzed_at},
                         {"known", known},
                         {"deliveries", deliveries},
                         {"event_ids", outbox.event_ids}};
  WriteFileAtomic(path, document.dump(1) + "\n");
}

std::string FormatUtcMillis(int64_t unix_ms) {
  const std::chrono::system_clock::time_point time{std::chrono::milliseconds(unix_ms)};
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", std::chrono::floor<std::chrono::seconds>(time));
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace cxagent::notify
