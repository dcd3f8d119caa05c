#include "server/request_params.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "common/error.hpp"
#include "metrics/metric_catalog.hpp"
#include "server/json_response.hpp"
#include "storage/incident_feedback.hpp"

namespace cxagent::server {

namespace {

using nlohmann::json;

bool Contains(std::initializer_list<std::string_view> list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// Characters of a UTF-8 string, not bytes: the limit is what a person typed.
size_t Utf8Length(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// The length of the well-formed UTF-8 sequence starting at `at` (RFC 3629: no overlong forms,
// no surrogates, nothing above U+10FFFF), or 0 when the bytes there are not one.
size_t Utf8SequenceLength(std::string_view text, size_t at) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  if (lead < 0x80) return 1;
  size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (at + length > text.size()) return 0;
  if (byte(at + 1) < low || byte(at + 1) > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if ((byte(at + i) & 0xC0) != 0x80) return 0;
  }
  return length;
}

bool IsUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t length = Utf8SequenceLength(text, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

// The query part of a request target: after the first `?`, or all of it when there is none and
// it does not start with `/` (a bare query).
std::string QueryOf(std::string_view target) {
  const size_t question = target.find('?');
  if (question != std::string_view::npos) return std::string(target.substr(question + 1));
  if (!target.empty() && target.front() != '/') return std::string(target);
  return {};
}

// Counts the nesting while nlohmann's parser builds the value and stops it before a container
// deeper than MAX_JSON_DEPTH is opened; records the keys on the way so that a number out of
// range can be named by its field.
class DepthGuard {
 public:
  bool operator()(int depth, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (depth >= MAX_JSON_DEPTH) {
          throw BadParameter("body", "body: JSON nested deeper than {} levels", MAX_JSON_DEPTH);
        }
        keys_.emplace_back();
        break;
      case json::parse_event_t::key:
        if (!keys_.empty() && parsed.is_string()) keys_.back() = parsed.get<std::string>();
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!keys_.empty()) keys_.pop_back();
        break;
      case json::parse_event_t::value:
        break;
    }
    return true;
  }

  // The dotted path of the value being read (`params.max_batch`), or "body" at the top.
  std::string Field() const {
    std::string path;
    for (const auto& key : keys_) {
      if (key.empty()) continue;
      path += (path.empty() ? "" : ".") + key;
    }
    return path.empty() ? "body" : path;
  }

 private:
  std::vector<std::string> keys_;
};

}  // namespace

std::string Printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t length = Utf8SequenceLength(text, i);
    const auto byte = static_cast<unsigned char>(text[i]);
    if (length == 0 || byte < 0x20 || byte == 0x7F) {
      out += fmt::format("\\x{:02X}", byte);
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

QueryReader::QueryReader(std::string_view target, std::initializer_list<std::string_view> known) {
  httplib::detail::parse_query_text(QueryOf(target), params_);
  for (const auto& [name, value] : params_) {
    if (!IsUtf8(name)) {
      throw BadParameter(Printable(name), "query parameter name '{}' is not valid UTF-8",
                         Printable(name));
    }
    if (!IsUtf8(value)) {
      throw BadParameter(name, "{}: '{}' is not valid UTF-8", name, Printable(value));
    }
    if (!Contains(known, name)) {
      if (known.size() == 0) {
        throw BadParameter(name, "unknown query parameter '{}'; this route takes none",
                           Printable(name));
      }
      throw BadParameter(name, "unknown query parameter '{}'; allowed: {}", Printable(name),
                         fmt::join(known, ", "));
    }
    if (params_.count(name) > 1) {
      throw BadParameter(name, "query parameter '{}' is given more than once", name);
    }
  }
}

QueryReader::QueryReader(const httplib::Request& request,
                         std::initializer_list<std::string_view> known)
    : QueryReader(std::string_view(request.target), known) {}

std::optional<std::string> QueryReader::Text(std::string_view name) const {
  const auto found = params_.find(std::string(name));
  if (found == params_.end() || found->second.empty()) return std::nullopt;
  return found->second;
}

std::optional<Date> QueryReader::DateValue(std::string_view name) const {
  const auto text = Text(name);
  if (!text) return std::nullopt;
  try {
    return ParseDate(*text, name);
  } catch (const Error& error) {
    throw BadParameter(name, "{}", Printable(error.what()));
  }
}

int64_t QueryReader::Integer(std::string_view name, int64_t fallback, int64_t min,
                             int64_t max) const {
  const auto text = Text(name);
  if (!text) return fallback;
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size() || value < min || value > max) {
    throw BadParameter(name, "{}: '{}' is not an integer from {} to {}", name, Printable(*text),
                       min, max);
  }
  return value;
}

std::vector<std::string> QueryReader::EnumList(
    std::string_view name, std::initializer_list<std::string_view> allowed) const {
  std::vector<std::string> values;
  const auto text = Text(name);
  if (!text) return values;
  size_t start = 0;
  while (start <= text->size()) {
    size_t end = text->find(',', start);
    if (end == std::string::npos) end = text->size();
    const std::string value = text->substr(start, end - start);
    if (!Contains(allowed, value)) {
      throw BadParameter(name, "{}: '{}' is not allowed; allowed: {} (comma-separated)", name,
                         Printable(value), fmt::join(allowed, ", "));
    }
    values.push_back(value);
    start = end + 1;
  }
  return values;
}

void RequireOrdered(const std::optional<Date>& start, const std::optional<Date>& end) {
  if (start && end && *start > *end) {
    throw ApiError(
        ErrorType::INVALID_INPUT, {{"parameter", "start_date"}},
        fmt::format("start_date {} is after end_date {}", FormatDate(*start), FormatDate(*end)));
  }
}

nlohmann::json ParseJson(std::string_view text) {
  DepthGuard guard;
  try {
    return json::parse(text.begin(), text.end(), std::ref(guard));
  } catch (const json::parse_error& error) {
    throw BadParameter("body", "body: not valid JSON ({})", Printable(error.what()));
  } catch (const json::out_of_range& error) {
    // The only range error of parsing: a number beyond double range (1e99999).
    const std::string field = guard.Field();
    throw BadParameter(field, "{}: a number is out of range ({})",
                       field == "body" ? "body" : "body: " + field, Printable(error.what()));
  } catch (const json::exception& error) {
    throw BadParameter("body", "body: not valid JSON ({})", Printable(error.what()));
  }
}

nlohmann::json ParseJsonObject(std::string_view text,
                               std::initializer_list<std::string_view> known) {
  json body = ParseJson(text);
  if (!body.is_object()) {
    throw BadParameter("body", "body: expected a JSON object, got {}", body.type_name());
  }
  for (const auto& [name, value] : body.items()) {
    if (!Contains(known, name)) {
      throw BadParameter(name, "body: unknown field '{}'; allowed: {}", name,
                         fmt::join(known, ", "));
    }
  }
  return body;
}

std::optional<std::string> StringField(const nlohmann::json& body, std::string_view name,
                                       size_t max_length) {
  const std::string key(name);
  if (!body.contains(key)) return std::nullopt;
  const auto& value = body[key];
  if (!value.is_string()) {
    throw BadParameter(name, "body: '{}' must be a string, got {}", name, value.type_name());
  }
  const auto& text = value.get_ref<const std::string&>();
  if (Utf8Length(text) > max_length) {
    throw BadParameter(name, "body: '{}' is longer than {} characters", name, max_length);
  }
  return text;
}

void ParseNoQuery(std::string_view target) {
  const QueryReader query(target, {});
}

IncidentListQuery ParseIncidentListQuery(std::string_view target) {
  const QueryReader query(target,
                          {"start_date", "end_date", "severity", "status", "limit", "offset"});
  IncidentListQuery parsed;
  parsed.start_date = query.DateValue("start_date");
  parsed.end_date = query.DateValue("end_date");
  RequireOrdered(parsed.start_date, parsed.end_date);
  parsed.severity = query.EnumList("severity", {"high", "medium", "low"});
  parsed.status = query.EnumList("status", {"open", "acknowledged", "resolved"});
  parsed.limit = query.Integer("limit", 50, 1, 500);
  parsed.offset = query.Integer("offset", 0, 0, 1'000'000'000);
  return parsed;
}

IncidentResolveQuery ParseIncidentResolveQuery(std::string_view target) {
  const QueryReader query(target, {"metric", "slice", "start"});
  IncidentResolveQuery parsed;
  const auto metric = query.Text("metric");
  if (!metric) {
    throw BadParameter("metric", "metric is required: the incident's metric, e.g. cx_score");
  }
  try {
    parsed.metric = std::string(metrics::FindMetric(*metric).name);
  } catch (const Error& error) {
    throw BadParameter("metric", "metric: {}", Printable(error.what()));
  }
  const auto slice = query.Text("slice");
  if (!slice) {
    throw BadParameter("slice",
                       "slice is required: the incident's slice text, e.g. region=seattle or all");
  }
  try {
    // Canonical, so that a link whose pairs come in another order names the same slice.
    parsed.slice_text = Slice::Parse(*slice).ToText();
  } catch (const Error& error) {
    // Slice::Parse names the slice already ("slice 'x': ...").
    throw BadParameter("slice", "{}", Printable(error.what()));
  }
  const auto start = query.DateValue("start");
  if (!start) {
    throw BadParameter("start", "start is required: the incident's start date, YYYY-MM-DD");
  }
  parsed.start_date = FormatDate(*start);
  return parsed;
}

CxScoreQuery ParseCxScoreQuery(std::string_view target) {
  const QueryReader query(target, {"start_date", "end_date", "cohort"});
  CxScoreQuery parsed;
  parsed.start_date = query.DateValue("start_date");
  parsed.end_date = query.DateValue("end_date");
  RequireOrdered(parsed.start_date, parsed.end_date);
  if (const auto text = query.Text("cohort")) {
    try {
      parsed.cohort = Slice::Parse(*text);
    } catch (const Error& error) {
      throw BadParameter("cohort", "cohort: {}", Printable(error.what()));
    }
  }
  return parsed;
}

IncidentPatch ParseIncidentPatch(std::string_view text) {
  const json body = ParseJsonObject(text, {"status", "note"});
  IncidentPatch patch;
  patch.status = StringField(body, "status", 32);
  patch.note = StringField(body, "note", MAX_NOTE_CHARACTERS);
  if (!patch.status && !patch.note) {
    throw BadParameter("body", "body: give 'status', 'note' or both");
  }
  if (patch.status && *patch.status != "open" && *patch.status != "acknowledged" &&
      *patch.status != "resolved") {
    throw BadParameter("status",
                       "body: status '{}' is not allowed; allowed: open, acknowledged, resolved",
                       *patch.status);
  }
  return patch;
}

FeedbackBody ParseFeedbackBody(std::string_view text) {
  const json body = ParseJsonObject(text, {"label", "by", "note"});
  FeedbackBody feedback;
  const auto label = StringField(body, "label", 32);
  const auto& labels = storage::FeedbackLabels();
  if (!label) {
    throw BadParameter("label", "body: 'label' is required; allowed: {}", fmt::join(labels, ", "));
  }
  if (std::find(labels.begin(), labels.end(), *label) == labels.end()) {
    throw BadParameter("label", "body: label '{}' is not allowed; allowed: {}", Printable(*label),
                       fmt::join(labels, ", "));
  }
  feedback.label = *label;
  const auto by = StringField(body, "by", MAX_FEEDBACK_BY_CHARACTERS);
  if (!by || by->find_first_not_of(" \t") == std::string::npos) {
    throw BadParameter("by", "body: 'by' is required (who labels the incident)");
  }
  feedback.by = *by;
  feedback.note = StringField(body, "note", MAX_NOTE_CHARACTERS).value_or("");
  return feedback;
}

std::optional<std::string> ParseNotifyTestBody(std::string_view text) {
  if (text.empty()) return std::nullopt;
  const json body = ParseJsonObject(text, {"channel"});
  return StringField(body, "channel", 64);
}

void ParseEmptyBody(std::string_view body, std::string_view route) {
  if (!body.empty()) {
    throw BadParameter("body", "body: {} takes no body (got {} bytes)", route, body.size());
  }
}

WhatIfBody ParseWhatIfBody(std::string_view text) {
  json body = ParseJsonObject(text, {"template", "params"});
  if (!body.contains("template")) {
    throw BadParameter("template", "body: 'template' is required (an action template name)");
  }
  WhatIfBody parsed;
  parsed.action_template = *StringField(body, "template", 100);
  parsed.params = body.contains("params") ? std::move(body["params"]) : json::object();
  if (!parsed.params.is_object()) {
    throw BadParameter("params", "body: 'params' must be an object, got {}",
                       parsed.params.type_name());
  }
  for (const auto& [name, value] : parsed.params.items()) {
    const bool finite = !value.is_number_float() || std::isfinite(value.get<double>());
    if (!(value.is_number() || value.is_string() || value.is_boolean()) || !finite) {
      throw BadParameter("params." + name,
                         "body: params.{} must be a number, string or boolean, got {}", name,
                         value.type_name());
    }
  }
  return parsed;
}

std::string ParseExperimentPlanBody(std::string_view text) {
  const json body = ParseJsonObject(text, {"recommendation_id"});
  if (!body.contains("recommendation_id")) {
    throw BadParameter("recommendation_id", "body: 'recommendation_id' is required");
  }
  return *StringField(body, "recommendation_id", 100);
}

void ParseAnalyzeBody(std::string_view body) {
  if (!body.empty()) {
    throw BadParameter("body", "body: POST /api/analyze takes no body (got {} bytes)", body.size());
  }
}

}  // namespace cxagent::server
