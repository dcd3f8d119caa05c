#include "notify/events.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include <cstdlib>
#include <limits>
#include <optional>

#include "storage/incident_status.hpp"

namespace cxagent::notify {

namespace {

using nlohmann::json;

int SeverityRank(std::string_view severity) {
  return severity == "high" ? 0 : severity == "medium" ? 1 : 2;
}

std::string Figure(const json& value) {
  if (!value.is_number()) return "?";
  return fmt::format("{:.1f}", value.get<double>());
}

std::string SignedFigure(const json& value) {
  if (!value.is_number()) return "?";
  return fmt::format("{:+.1f}", value.get<double>());
}

json TopCause(const json& document) {
  const auto rca = document.find("rca");
  if (rca == document.end() || !rca->is_object()) return nullptr;
  const auto causes = rca->find("causes");
  if (causes == rca->end() || !causes->is_array() || causes->empty()) return nullptr;
  const json& top = causes->front();
  return {{"cause", top.value("cause", std::string())},
          {"label", top.value("label", top.value("cause", std::string()))},
          {"confidence", top.value("confidence", json())}};
}

json TopAction(const json& document) {
  const auto recommendations = document.find("recommendations");
  if (recommendations == document.end() || !recommendations->is_array() ||
      recommendations->empty()) {
    return nullptr;
  }
  const json& top = recommendations->front();
  return {{"id", top.value("id", std::string())},
          {"action", top.value("action", std::string())},
          {"kind", top.value("kind", std::string())},
          {"expected_cx_delta", top.value("expected_cx_delta", json())}};
}

std::string Summary(const IncidentChange& change, const IncidentFacts& incident) {
  const json& document = incident.document;
  const std::string figures = fmt::format(
      "{} {} -> {} ({})", incident.metric, Figure(document.value("baseline", json())),
      Figure(document.value("current", json())), SignedFigure(document.value("delta", json())));
  switch (change.kind) {
    case EventKind::OPENED:
      return fmt::format("Incident {} opened in {}: {}, severity {}, since {}", incident.id,
                         incident.slice_text, figures, incident.severity, incident.start_date);
    case EventKind::SEVERITY_RAISED:
      return fmt::format("Incident {} in {} raised from {} to {}: {}, since {}", incident.id,
                         incident.slice_text, change.previous_severity, incident.severity, figures,
                         incident.start_date);
    case EventKind::RESOLVED:
      return fmt::format("Incident {} in {} resolved by the data: ended {} ({} to {})", incident.id,
                         incident.slice_text, incident.end_date, incident.start_date,
                         incident.end_date);
  }
  return "";
}

// Slack's mrkdwn treats &, < and > as markup.
std::string SlackEscape(std::string_view text) {
  std::string escaped;
  for (const char c : text) {
    if (c == '&') {
      escaped += "&amp;";
    } else if (c == '<') {
      escaped += "&lt;";
    } else if (c == '>') {
      escaped += "&gt;";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

json Mrkdwn(const std::string& text) {
  return {{"type", "mrkdwn"}, {"text", text}};
}

}  // namespace

std::string_view EventKindName(EventKind kind) {
  switch (kind) {
    case EventKind::OPENED:
      return "incident_opened";
    case EventKind::SEVERITY_RAISED:
      return "severity_raised";
    case EventKind::RESOLVED:
      return "incident_resolved";
  }
  return "";
}

std::vector<KnownIncident> ToKnown(const std::vector<IncidentFacts>& incidents) {
  std::vector<KnownIncident> known;
  known.reserve(incidents.size());
  for (const auto& incident : incidents) {
    known.push_back({.metric = incident.metric,
                     .slice_text = incident.slice_text,
                     .start_date = incident.start_date,
                     .end_date = incident.end_date,
                     .severity = incident.severity});
  }
  return known;
}

std::vector<IncidentChange> DiffIncidents(const std::vector<KnownIncident>& known,
                                          const std::vector<IncidentFacts>& current,
                                          int tolerance_days) {
  // Exact starts are matched first, so that a neighbour cannot take an incident's own record.
  std::vector<std::optional<size_t>> match(current.size());
  std::vector<bool> used(known.size(), false);
  for (size_t c = 0; c < current.size(); ++c) {
    for (size_t k = 0; k < known.size(); ++k) {
      if (!used[k] && known[k].metric == current[c].metric &&
          known[k].slice_text == current[c].slice_text &&
          known[k].start_date == current[c].start_date) {
        match[c] = k;
        used[k] = true;
        break;
      }
    }
  }
  for (size_t c = 0; c < current.size(); ++c) {
    if (match[c]) continue;
    const std::optional<int> start = storage::IdentityDays(current[c].start_date);
    if (!start) continue;
    int best_distance = std::numeric_limits<int>::max();
    for (size_t k = 0; k < known.size(); ++k) {
      if (used[k] || known[k].metric != current[c].metric ||
          known[k].slice_text != current[c].slice_text) {
        continue;
      }
      const std::optional<int> known_start = storage::IdentityDays(known[k].start_date);
      if (!known_start) continue;
      const int distance = std::abs(*known_start - *start);
      if (distance <= tolerance_days && distance < best_distance) {
        best_distance = distance;
        match[c] = k;
      }
    }
    if (match[c]) used[*match[c]] = true;
  }
  std::vector<IncidentChange> changes;
  for (size_t c = 0; c < current.size(); ++c) {
    const IncidentFacts& incident = current[c];
    const bool open = incident.end_date.empty();
    if (!match[c]) {
      if (open) changes.push_back({.kind = EventKind::OPENED, .incident = c});
      continue;
    }
    const KnownIncident& before = known[*match[c]];
    const bool was_open = before.end_date.empty();
    if (was_open && !open) {
      changes.push_back({.kind = EventKind::RESOLVED, .incident = c});
    } else if (open && SeverityRank(incident.severity) < SeverityRank(before.severity)) {
      changes.push_back({.kind = EventKind::SEVERITY_RAISED,
                         .incident = c,
                         .previous_severity = before.severity});
    }
  }
  return changes;
}

std::string EventId(const IncidentChange& change, const IncidentFacts& incident) {
  std::string id(EventKindName(change.kind));
  if (change.kind == EventKind::SEVERITY_RAISED) id += "|" + incident.severity;
  return id + "|" +
         storage::IncidentIdentity(incident.metric, incident.slice_text, incident.start_date);
}

std::string IncidentLink(std::string_view public_url, const IncidentFacts& incident) {
  return httplib::append_query_params(fmt::format("{}/incidents/{}", public_url, incident.id),
                                      {{"metric", incident.metric},
                                       {"slice", incident.slice_text},
                                       {"start", incident.start_date}});
}

json EventPayload(const IncidentChange& change, const IncidentFacts& incident,
                  std::string_view public_url, std::string_view analyzed_at) {
  const json& document = incident.document;
  json head = {{"id", incident.id},
               {"metric", incident.metric},
               {"slice", incident.slice},
               {"slice_text", incident.slice_text},
               {"start_date", incident.start_date},
               {"end_date", incident.end_date.empty() ? json() : json(incident.end_date)},
               {"severity", incident.severity},
               {"previous_severity",
                change.previous_severity.empty() ? json() : json(change.previous_severity)}};
  return {{"event_id", EventId(change, incident)},
          {"event", EventKindName(change.kind)},
          {"summary", Summary(change, incident)},
          {"incident", head},
          {"cx_change",
           {{"metric", incident.metric},
            {"baseline", document.value("baseline", json())},
            {"current", document.value("current", json())},
            {"delta", document.value("delta", json())}}},
          {"top_cause", TopCause(document)},
          {"top_action", TopAction(document)},
          {"link", IncidentLink(public_url, incident)},
          {"analyzed_at", analyzed_at}};
}

json TestPayload(std::string_view public_url, std::string_view sent_at) {
  return {{"event_id", fmt::format("test|{}", sent_at)},
          {"event", "test"},
          {"summary", "Test notification from cxagent: this channel receives incident events"},
          {"incident", nullptr},
          {"cx_change", nullptr},
          {"top_cause", nullptr},
          {"top_action", nullptr},
          {"link", std::string(public_url) + "/"},
          {"analyzed_at", nullptr}};
}

json SlackMessage(const json& payload) {
  const std::string summary = payload.value("summary", std::string());
  const std::string link = payload.value("link", std::string());
  json blocks = json::array();
  const json& incident = payload.at("incident");
  if (incident.is_null()) {
    blocks.push_back({{"type", "section"}, {"text", Mrkdwn(SlackEscape(summary))}});
    return {{"text", SlackEscape(summary)}, {"blocks", blocks}};
  }
  const std::string event = payload.value("event", std::string());
  const std::string title = event == "incident_opened"   ? "CX incident opened"
                            : event == "severity_raised" ? "CX incident severity raised"
                                                         : "CX incident resolved by the data";
  blocks.push_back(
      {{"type", "header"},
       {"text",
        {{"type", "plain_text"},
         {"text", fmt::format("{}: {}", title, incident.value("id", std::string()))}}}});
  const json& change = payload.at("cx_change");
  std::string severity = incident.value("severity", std::string());
  if (incident.contains("previous_severity") && incident["previous_severity"].is_string()) {
    severity = incident["previous_severity"].get<std::string>() + " → " + severity;
  }
  std::string window = incident.value("start_date", std::string());
  if (incident["end_date"].is_string()) window += " to " + incident["end_date"].get<std::string>();
  blocks.push_back(
      {{"type", "section"},
       {"fields",
        {Mrkdwn("*Slice*\n" + SlackEscape(incident.value("slice_text", std::string()))),
         Mrkdwn(fmt::format(
             "*CX change*\n{} {} → {} ({})", SlackEscape(change.value("metric", std::string())),
             Figure(change.value("baseline", json())), Figure(change.value("current", json())),
             SignedFigure(change.value("delta", json())))),
         Mrkdwn("*Severity*\n" + SlackEscape(severity)), Mrkdwn("*Window*\n" + window)}}});
  const json& cause = payload.at("top_cause");
  const std::string cause_text =
      cause.is_null()
          ? "not analysed"
          : fmt::format("{} (confidence {})", SlackEscape(cause.value("label", std::string())),
                        cause["confidence"].is_number()
                            ? fmt::format("{:.2f}", cause["confidence"].get<double>())
                            : std::string("?"));
  const json& action = payload.at("top_action");
  std::string action_text = "none recommended";
  if (!action.is_null()) {
    action_text = SlackEscape(action.value("action", std::string()));
    const json effect = action.value("expected_cx_delta", json());
    if (effect.is_object() && effect.contains("mean")) {
      const json ci = effect.value("ci90", json::array());
      action_text += fmt::format(": expected CX {}", SignedFigure(effect["mean"]));
      if (ci.is_array() && ci.size() == 2) {
        action_text += fmt::format(" (90%: {} to {})", SignedFigure(ci[0]), SignedFigure(ci[1]));
      }
    }
  }
  blocks.push_back({{"type", "section"},
                    {"text", Mrkdwn(fmt::format("*Top cause:* {}\n*Top action:* {}", cause_text,
                                                action_text))}});
  const json button = {{"type", "button"},
                       {"text", {{"type", "plain_text"}, {"text", "Open the incident"}}},
                       {"url", link}};
  blocks.push_back({{"type", "actions"}, {"elements", json::array({button})}});
  // The link's query has '&': in text it is markup too (Slack decodes &amp; before linking).
  return {{"text", fmt::format("{} {}", SlackEscape(summary), SlackEscape(link))},
          {"blocks", blocks}};
}

}  // namespace cxagent::notify
