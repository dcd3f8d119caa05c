#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "common/date.hpp"
#include "common/slice.hpp"
#include "server/snapshot.hpp"
#include "storage/incident_feedback.hpp"
#include "storage/incident_status.hpp"

namespace cxagent::server {

//! The IncidentSummary of docs/api.md: the incident's head with its triage state (`status`
//! nullptr means never changed: open, empty note, updated_at null), its feedback label (null:
//! none) and the label that mutes it (null: not muted).
nlohmann::json IncidentSummary(const IncidentEntry& incident, const storage::IncidentStatus* status,
                               const storage::IncidentFeedback* feedback = nullptr,
                               const storage::IncidentFeedback* muted_by = nullptr);

//! The UnconfirmedIncident of docs/api.md: an unconfirmed incident's head, its lead slice
//! regression (slices[0], null when it has none), its most confident cause (null when the RCA
//! reported none) and why it is unconfirmed, naming `min_confidence` when the analysis recorded it.
nlohmann::json UnconfirmedSummary(const IncidentEntry& incident,
                                  std::optional<double> min_confidence);

//! The parts of IncidentDetail beyond the summary (slices, window, breakdown, drilldown, alerts),
//! computed from the snapshot's cube; independent of triage state, so it can be cached.
nlohmann::json IncidentDetailBody(const Snapshot& snapshot, const IncidentEntry& incident);

//! The CxScoreSeries of docs/api.md for a cohort the cube holds, over [from, to] (each end
//! defaulting to the data's range); throws NotFound naming the cohort when it has no series.
nlohmann::json CxScoreSeries(const Snapshot& snapshot, const Slice& cohort,
                             std::optional<Date> from, std::optional<Date> to);

//! True when some order can be in both slices (no dimension has different values in them).
bool SlicesOverlap(const Slice& a, const Slice& b);

//! True when the incident's window [start, end or open] meets [from, to] (unset ends unbounded).
bool IncidentInRange(const IncidentEntry& incident, std::optional<Date> from,
                     std::optional<Date> to);

}  // namespace cxagent::server
