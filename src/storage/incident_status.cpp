#include "storage/incident_status.hpp"

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/date.hpp"
#include "common/error.hpp"
#include "common/file.hpp"

namespace cxagent::storage {

namespace {

constexpr int FORMAT_VERSION = 1;

}  // namespace

std::string IncidentStatusPath(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / ".cxagent" / "incident_status.json").string();
}

std::string IncidentIdentity(std::string_view metric, std::string_view slice_text,
                             std::string_view start_date) {
  std::string identity;
  identity.append(metric).append("|").append(slice_text).append("|").append(start_date);
  return identity;
}

const IncidentStatus* FindIncidentStatus(const IncidentStatuses& statuses, std::string_view metric,
                                         std::string_view slice_text, std::string_view start_date,
                                         int tolerance_days) {
  const auto exact = statuses.find(IncidentIdentity(metric, slice_text, start_date));
  if (exact != statuses.end()) return &exact->second;
  const Date start = ParseDate(start_date, "start_date");
  const std::string prefix = IncidentIdentity(metric, slice_text, "");
  const IncidentStatus* best = nullptr;
  int best_distance = tolerance_days + 1;
  // Identities of one metric and slice are adjacent in the map, ordered by start date.
  for (auto it = statuses.lower_bound(prefix);
       it != statuses.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    const std::string_view saved = std::string_view(it->first).substr(prefix.size());
    Date saved_start;
    try {
      saved_start = ParseDate(saved, "start_date");
    } catch (const Error&) {
      continue;  // a slice text that extends this one, not a date
    }
    const int distance = std::abs(saved_start.days - start.days);
    if (distance < best_distance) {
      best_distance = distance;
      best = &it->second;
    }
  }
  return best;
}

IncidentStatuses LoadIncidentStatuses(const std::string& data_dir) {
  const std::string path = IncidentStatusPath(data_dir);
  if (!std::filesystem::exists(path)) return {};
  IncidentStatuses statuses;
  try {
    const nlohmann::json document = nlohmann::json::parse(ReadFile(path));
    if (document.value("version", 0) != FORMAT_VERSION) {
      throw InvalidInput("{}: unknown format version (expected {})", path, FORMAT_VERSION);
    }
    for (const auto& [identity, entry] : document.at("incidents").items()) {
      IncidentStatus status;
      status.status = entry.at("status").get<std::string>();
      status.note = entry.at("note").get<std::string>();
      status.updated_at = entry.at("updated_at").get<std::string>();
      statuses.emplace(identity, std::move(status));
    }
  } catch (const nlohmann::json::exception& error) {
    throw InvalidInput("{}: damaged incident status file ({}); fix or delete it", path,
                       error.what());
  }
  return statuses;
}

void SaveIncidentStatuses(const std::string& data_dir, const IncidentStatuses& statuses) {
  const std::string path = IncidentStatusPath(data_dir);
  std::error_code error;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), error);
  if (error) {
    throw IoError("cannot create {}: {}", std::filesystem::path(path).parent_path().string(),
                  error.message());
  }
  nlohmann::json incidents = nlohmann::json::object();
  for (const auto& [identity, status] : statuses) {
    incidents[identity] = {
        {"status", status.status}, {"note", status.note}, {"updated_at", status.updated_at}};
  }
  const nlohmann::json document = {{"version", FORMAT_VERSION}, {"incidents", incidents}};
  WriteFileAtomic(path, document.dump(2) + "\n");
}

}  // namespace cxagent::storage
