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

std::optional<int> IdentityDays(std::string_view date_text) {
  try {
    return ParseDate(date_text, "start_date").days;
  } catch (const Error&) {
    return std::nullopt;
  }
}

const IncidentStatus* FindIncidentStatus(const IncidentStatuses& statuses, std::string_view metric,
                                         std::string_view slice_text, std::string_view start_date,
                                         int tolerance_days) {
  return FindByIncidentIdentity(statuses, metric, slice_text, start_date, tolerance_days);
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
