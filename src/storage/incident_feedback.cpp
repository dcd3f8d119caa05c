#include "storage/incident_feedback.hpp"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/file.hpp"
#include "storage/incident_status.hpp"

namespace cxagent::storage {

namespace {

constexpr int FORMAT_VERSION = 1;

}  // namespace

const std::vector<std::string>& FeedbackLabels() {
  static const std::vector<std::string> LABELS = {"confirmed", "false_alarm", "expected",
                                                  "duplicate"};
  return LABELS;
}

bool IsMutingLabel(std::string_view label) {
  return label == "false_alarm" || label == "expected";
}

std::string IncidentFeedbackPath(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / ".cxagent" / "incident_feedback.json").string();
}

IncidentFeedbacks LoadIncidentFeedback(const std::string& data_dir) {
  const std::string path = IncidentFeedbackPath(data_dir);
  if (!std::filesystem::exists(path)) return {};
  IncidentFeedbacks feedback;
  try {
    const nlohmann::json document = nlohmann::json::parse(ReadFile(path));
    if (document.value("version", 0) != FORMAT_VERSION) {
      throw InvalidInput("{}: unknown format version (expected {})", path, FORMAT_VERSION);
    }
    for (const auto& [identity, entry] : document.at("incidents").items()) {
      IncidentFeedback label;
      label.label = entry.at("label").get<std::string>();
      const auto& known = FeedbackLabels();
      if (std::find(known.begin(), known.end(), label.label) == known.end()) {
        throw InvalidInput("{}: {}: unknown label '{}'; fix or delete the file", path, identity,
                           label.label);
      }
      label.by = entry.at("by").get<std::string>();
      label.note = entry.at("note").get<std::string>();
      label.updated_at = entry.at("updated_at").get<std::string>();
      label.metric = entry.at("metric").get<std::string>();
      label.slice_text = entry.at("slice_text").get<std::string>();
      label.start_date = entry.at("start_date").get<std::string>();
      label.end_date =
          entry.at("end_date").is_null() ? "" : entry.at("end_date").get<std::string>();
      if (!IdentityDays(label.start_date) ||
          (!label.end_date.empty() && !IdentityDays(label.end_date))) {
        throw InvalidInput(
            "{}: {}: start_date and end_date must be YYYY-MM-DD; fix or delete "
            "the file",
            path, identity);
      }
      feedback.emplace(identity, std::move(label));
    }
  } catch (const nlohmann::json::exception& error) {
    throw InvalidInput("{}: damaged incident feedback file ({}); fix or delete it", path,
                       error.what());
  }
  return feedback;
}

void SaveIncidentFeedback(const std::string& data_dir, const IncidentFeedbacks& feedback) {
  const std::string path = IncidentFeedbackPath(data_dir);
  const auto folder = std::filesystem::path(path).parent_path();
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) throw IoError("cannot create {}: {}", folder.string(), error.message());
  nlohmann::json incidents = nlohmann::json::object();
  for (const auto& [identity, label] : feedback) {
    incidents[identity] = {
        {"label", label.label},
        {"by", label.by},
        {"note", label.note},
        {"updated_at", label.updated_at},
        {"metric", label.metric},
        {"slice_text", label.slice_text},
        {"start_date", label.start_date},
        {"end_date", label.end_date.empty() ? nlohmann::json() : nlohmann::json(label.end_date)}};
  }
  const nlohmann::json document = {{"version", FORMAT_VERSION}, {"incidents", incidents}};
  WriteFileAtomic(path, document.dump(2) + "\n");
}

const IncidentFeedback* FindMutingFeedback(const IncidentFeedbacks& feedback,
                                           std::string_view metric, std::string_view slice_text,
                                           std::string_view start_date, int tolerance_days) {
  const IncidentFeedback* own =
      FindByIncidentIdentity(feedback, metric, slice_text, start_date, tolerance_days);
  if (own != nullptr && IsMutingLabel(own->label)) return own;
  const std::optional<int> start = IdentityDays(start_date);
  if (!start) return nullptr;
  for (const auto& [identity, label] : feedback) {
    if (!IsMutingLabel(label.label) || label.slice_text != slice_text) continue;
    const std::optional<int> from = IdentityDays(label.start_date);
    if (!from || *start < *from) continue;
    if (!label.end_date.empty()) {
      const std::optional<int> to = IdentityDays(label.end_date);
      if (!to || *start > *to) continue;
    }
    return &label;
  }
  return nullptr;
}

}  // namespace cxagent::storage
