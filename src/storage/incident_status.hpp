#pragma once

#include <map>
#include <string>
#include <string_view>

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

//! Triage states by incident identity.
using IncidentStatuses = std::map<std::string, IncidentStatus>;

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
