#pragma once

#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/date.hpp"

namespace cxagent::storage {

//! The triage state an operator set on an incident (`PATCH /api/incidents/{id}`).
struct IncidentStatus {
  std::string status = "open";  //!< open, acknowledged or resolved
  std::string note;             //!< free text, at most 2000 characters
  std::string updated_at;       //!< UTC time of the last change, `YYYY-MM-DDTHH:MM:SSZ`
};

//! Where triage states live inside a data folder: `DIR/.cxagent/incident_status.json`, beside the
//! results database and separate from it, so a re-analysis (which replaces that database) keeps
//! them.
std::string IncidentStatusPath(const std::string& data_dir);

//! The identity an incident keeps across re-analyses and restarts, unlike its id (a rank):
//! `metric|slice_text|start_date`, e.g. `cx_score|region=seattle|2026-07-31`.
std::string IncidentIdentity(std::string_view metric, std::string_view slice_text,
                             std::string_view start_date);

//! How far a re-analysis may move an incident's start and still find it the same incident (more
//! data can move a change point by a day or two; detection is held to 2 days).
constexpr int INCIDENT_START_TOLERANCE_DAYS = 3;

//! Triage states by incident identity.
using IncidentStatuses = std::map<std::string, IncidentStatus>;

//! Days since 1970-01-01 of a `YYYY-MM-DD` text, or nullopt when it is not one.
std::optional<int> IdentityDays(std::string_view date_text);

//! What operators keep per incident (triage state, feedback label) is keyed by its identity; this
//! finds the entry saved for an incident: the one under its identity, else the one saved for the
//! same metric and slice with the nearest start at most `tolerance_days` away (the earlier on a
//! tie). Null when none matches; throws InvalidInput naming start_date when it is not a date.
template <typename Value>
const Value* FindByIncidentIdentity(const std::map<std::string, Value>& entries,
                                    std::string_view metric, std::string_view slice_text,
                                    std::string_view start_date, int tolerance_days) {
  const auto exact = entries.find(IncidentIdentity(metric, slice_text, start_date));
  if (exact != entries.end()) return &exact->second;
  const int start = ParseDate(start_date, "start_date").days;
  const std::string prefix = IncidentIdentity(metric, slice_text, "");
  const Value* best = nullptr;
  int best_distance = tolerance_days + 1;
  // Identities of one metric and slice are adjacent in the map, ordered by start date.
  for (auto it = entries.lower_bound(prefix);
       it != entries.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    // A slice text that extends this one is not a date and is skipped.
    const std::optional<int> saved =
        IdentityDays(std::string_view(it->first).substr(prefix.size()));
    if (!saved) continue;
    const int distance = std::abs(*saved - start);
    if (distance < best_distance) {
      best_distance = distance;
      best = &it->second;
    }
  }
  return best;
}

//! The triage state of an incident: the one saved under its identity, else, when a re-analysis
//! moved its start (more data can shift a change point by a day or two), the one saved for the
//! same metric and slice with the nearest start at most `tolerance_days` away (the earlier on a
//! tie). A regression that starts again in the slice weeks later is a new incident and matches
//! nothing. Null when none matches.
const IncidentStatus* FindIncidentStatus(const IncidentStatuses& statuses, std::string_view metric,
                                         std::string_view slice_text, std::string_view start_date,
                                         int tolerance_days);

//! Loads the folder's triage states; empty when none were saved. Throws InvalidInput naming the
//! file when it is damaged.
IncidentStatuses LoadIncidentStatuses(const std::string& data_dir);

//! Saves every triage state (temporary file renamed into place). Throws Io on failure.
void SaveIncidentStatuses(const std::string& data_dir, const IncidentStatuses& statuses);

}  // namespace cxagent::storage
