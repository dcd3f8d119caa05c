#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace cxagent::notify {

//! What notifications need of one incident of an analysis (the server builds these from its
//! snapshot, so the slice is the one the API shows).
struct IncidentFacts {
  std::string id;                                   //!< e.g. INC-0001 (a rank in this analysis)
  std::string metric;                               //!< the lead alert's metric
  std::string slice_text;                           //!< canonical slice text, e.g. region=seattle
  nlohmann::json slice = nlohmann::json::object();  //!< the slice as an object
  std::string start_date;                           //!< first day, YYYY-MM-DD
  std::string end_date;                             //!< last day; empty while open
  std::string severity;                             //!< high, medium or low
  nlohmann::json document;  //!< the incident as in the analysis file (causes, actions, figures)
  bool muted = false;       //!< a false_alarm or expected label mutes it
};

//! What happened to an incident between two analyses.
enum class EventKind {
  OPENED,           //!< a new open incident
  SEVERITY_RAISED,  //!< an open incident's severity went up (low -> medium -> high)
  RESOLVED,         //!< an incident open in the previous analysis has an end in this one
};

//! The event's name in payloads and the log: incident_opened, severity_raised, incident_resolved.
std::string_view EventKindName(EventKind kind);

//! The part of an incident the next analysis is compared with (kept in the outbox file).
struct KnownIncident {
  std::string metric;      //!< the lead alert's metric
  std::string slice_text;  //!< canonical slice text
  std::string start_date;  //!< first day
  std::string end_date;    //!< last day; empty while open
  std::string severity;    //!< high, medium or low
};

//! One event found by DiffIncidents.
struct IncidentChange {
  EventKind kind = EventKind::OPENED;  //!< what happened
  size_t incident = 0;                 //!< index into the current incidents
  std::string previous_severity;       //!< for SEVERITY_RAISED: the severity before
};

//! The incidents as they will be known after this analysis.
std::vector<KnownIncident> ToKnown(const std::vector<IncidentFacts>& incidents);

//! The events between the known incidents of the previous analysis and the current ones. An
//! incident is the same one when metric and slice match and the start moved at most
//! `tolerance_days` (more data can move a change point by a day or two; each known incident
//! matches at most one current one, the nearest). Events: OPENED for an open incident that matches
//! none; SEVERITY_RAISED for a matched open incident whose severity is higher; RESOLVED for a
//! matched incident that was open and now has an end. A new incident that already ended (history
//! the previous analysis did not flag) and a known one that is no longer detected make no event.
std::vector<IncidentChange> DiffIncidents(const std::vector<KnownIncident>& known,
                                          const std::vector<IncidentFacts>& current,
                                          int tolerance_days);

//! The event's stable id, the same however often the diff finds it:
//! `incident_opened|cx_score|region=seattle|2026-07-31` (severity_raised adds the new severity).
std::string EventId(const IncidentChange& change, const IncidentFacts& incident);

//! The dashboard's page of the incident: `{public_url}/incidents/{id}?metric=&slice=&start=`. Ids
//! are ranks of one analysis; the page finds the incident by metric, slice and start (as triage
//! states are matched) when a later analysis has renumbered it, and says so when it is gone.
std::string IncidentLink(std::string_view public_url, const IncidentFacts& incident);

//! The generic webhook message of an event: event_id, event, summary, incident (id, metric,
//! slice, slice_text, start_date, end_date, severity, previous_severity), cx_change (metric,
//! baseline, current, delta), top_cause (cause, label, confidence) or null, top_action (id,
//! action, kind, expected_cx_delta) or null, link (IncidentLink), analyzed_at.
nlohmann::json EventPayload(const IncidentChange& change, const IncidentFacts& incident,
                            std::string_view public_url, std::string_view analyzed_at);

//! The message of `POST /api/notify/test`: the webhook shape with event `test` and no incident.
nlohmann::json TestPayload(std::string_view public_url, std::string_view sent_at);

//! A Slack incoming-webhook message (text fallback and blocks) with the payload's slice, CX
//! change, top cause and confidence, top action and its expected effect, and the link.
nlohmann::json SlackMessage(const nlohmann::json& payload);

}  // namespace cxagent::notify
