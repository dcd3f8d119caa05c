#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cxagent::storage {

//! What the team says an incident was (`PUT /api/incidents/{id}/feedback`), beside its triage
//! status: the detector's precision as the team sees it, and the mute of false alarms and planned
//! changes.
struct IncidentFeedback {
  std::string label;       //!< confirmed, false_alarm, expected or duplicate
  std::string by;          //!< who labelled it
  std::string note;        //!< free text, at most 2000 characters
  std::string updated_at;  //!< UTC time of the last change, `YYYY-MM-DDTHH:MM:SSZ`
  std::string metric;      //!< the labelled incident's metric
  std::string slice_text;  //!< its slice (canonical text)
  std::string start_date;  //!< its first day
  //! Its last day in the latest analysis that found it; empty while it is open.
  std::string end_date;
};

//! Feedback labels by incident identity (storage::IncidentIdentity).
using IncidentFeedbacks = std::map<std::string, IncidentFeedback>;

//! The labels, in the order the API lists them.
const std::vector<std::string>& FeedbackLabels();

//! True for the labels that mute (false_alarm, expected).
bool IsMutingLabel(std::string_view label);

//! Where feedback lives inside a data folder: `DIR/.cxagent/incident_feedback.json`, beside the
//! triage states, so a re-analysis keeps it.
std::string IncidentFeedbackPath(const std::string& data_dir);

//! Loads the folder's feedback; empty when none was saved. Throws InvalidInput naming the file
//! when it is damaged.
IncidentFeedbacks LoadIncidentFeedback(const std::string& data_dir);

//! Saves every label (temporary file renamed into place). Throws Io on failure.
void SaveIncidentFeedback(const std::string& data_dir, const IncidentFeedbacks& feedback);

//! The label that mutes an incident, or null. The rule: a `false_alarm` or `expected` label on
//! incident L mutes L itself (matched as triage states are: same metric and slice, start at most
//! `tolerance_days` from L's) and every incident of L's slice, whatever its metric, that starts
//! inside L's window: on or after L's start and on or before L's end, or on any later day while
//! L is open. A regression in the slice that starts after L ended is news and is not muted.
const IncidentFeedback* FindMutingFeedback(const IncidentFeedbacks& feedback,
                                           std::string_view metric, std::string_view slice_text,
                                           std::string_view start_date, int tolerance_days);

}  // namespace cxagent::storage
