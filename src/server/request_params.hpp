#pragma once

// The validation of every query string and request body the API takes. Each function is pure:
// it reads the text as the client sent it and returns the parsed value or throws the ApiError
// (a 400 with `{"parameter": name}`) that the server sends; no server, snapshot or request object
// is needed, so tests and fuzz targets call them directly.

#include "server/http.hpp"

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/date.hpp"
#include "common/slice.hpp"

namespace cxagent::server {

//! The deepest nesting of arrays and objects a request body may have (the API's deepest body,
//! a what-if, nests two levels).
constexpr int MAX_JSON_DEPTH = 32;

//! Reads one request's query parameters (from the URL only: httplib also files form-encoded body
//! fields under the request's params), rejecting any the route does not know. Every accessor
//! throws a 400 (ApiError with `{"parameter": name}`) naming the parameter and what is allowed.
//! An empty value counts as absent, so a client may send `?cohort=&limit=` for "no filter".
class QueryReader {
 public:
  //! Checks that every query parameter of `target` (a request target `/path?query`, or just the
  //! query after `?`) is valid UTF-8, is in `known` and is not repeated.
  QueryReader(std::string_view target, std::initializer_list<std::string_view> known);
  //! The same for the target of `request`.
  QueryReader(const httplib::Request& request, std::initializer_list<std::string_view> known);

  //! The raw value, or nullopt when absent or empty.
  std::optional<std::string> Text(std::string_view name) const;
  //! A `YYYY-MM-DD` date, or nullopt when absent.
  std::optional<Date> DateValue(std::string_view name) const;
  //! An integer in [min, max], or `fallback` when absent.
  int64_t Integer(std::string_view name, int64_t fallback, int64_t min, int64_t max) const;
  //! A comma-separated list of values from `allowed` (empty when absent).
  std::vector<std::string> EnumList(std::string_view name,
                                    std::initializer_list<std::string_view> allowed) const;

 private:
  httplib::Params params_;
};

//! Throws a 400 naming both parameters when `start` is after `end`.
void RequireOrdered(const std::optional<Date>& start, const std::optional<Date>& end);

//! Parses a request body as JSON. Throws a 400 naming the body (or, for a number out of range,
//! the field holding it) when the text is not JSON, nests arrays and objects deeper than
//! MAX_JSON_DEPTH (counted while parsing, before a deeper value is built), holds a number beyond
//! double range or is not UTF-8. Messages show bytes that are not UTF-8 as `\xFF`.
nlohmann::json ParseJson(std::string_view text);

//! ParseJson, then requires a JSON object whose fields are all in `known`; throws a 400 naming
//! the body or the unknown field.
nlohmann::json ParseJsonObject(std::string_view body,
                               std::initializer_list<std::string_view> known);

//! The string field `name` of a parsed body, or nullopt when absent; a 400 naming the field when
//! it is not a string or is longer than `max_length` characters.
std::optional<std::string> StringField(const nlohmann::json& body, std::string_view name,
                                       size_t max_length);

//! The query of routes that take none (every route but the two below): a 400 for any parameter.
void ParseNoQuery(std::string_view target);

//! The query of `GET /api/incidents`.
struct IncidentListQuery {
  std::optional<Date> start_date;     //!< incidents still open on or after this date
  std::optional<Date> end_date;       //!< incidents starting on or before this date
  std::vector<std::string> severity;  //!< high, medium, low; empty = all
  std::vector<std::string> status;    //!< open, acknowledged, resolved; empty = all
  int64_t limit = 50;                 //!< page size, 1 to 500
  int64_t offset = 0;                 //!< rows skipped
};
//! Validates the query of `GET /api/incidents` (`target` as for QueryReader).
IncidentListQuery ParseIncidentListQuery(std::string_view target);

//! The query of `GET /api/incidents/resolve`: an incident's identity as a notification's link
//! carries it (`?metric=&slice=&start=`).
struct IncidentResolveQuery {
  std::string metric;      //!< a metric of the catalog, e.g. cx_score
  std::string slice_text;  //!< the slice's canonical text (pairs sorted), e.g. region=seattle
  std::string start_date;  //!< `YYYY-MM-DD`, a calendar date
};
//! Validates the query of `GET /api/incidents/resolve` (`target` as for QueryReader): all three
//! parameters are required; a 400 names the one missing or malformed.
IncidentResolveQuery ParseIncidentResolveQuery(std::string_view target);

//! The query of `GET /api/metrics/cx-score`.
struct CxScoreQuery {
  std::optional<Date> start_date;  //!< first date, default the data's first
  std::optional<Date> end_date;    //!< last date, default the data's last
  Slice cohort;  //!< parsed from its text form; whether the cube knows it is checked later
};
//! Validates the query of `GET /api/metrics/cx-score` (`target` as for QueryReader).
CxScoreQuery ParseCxScoreQuery(std::string_view target);

//! The body of `PATCH /api/incidents/{id}`: at least one field.
struct IncidentPatch {
  std::optional<std::string> status;  //!< open, acknowledged or resolved
  std::optional<std::string> note;    //!< at most MAX_NOTE_CHARACTERS characters
};
//! The longest note, in Unicode characters.
constexpr size_t MAX_NOTE_CHARACTERS = 2000;
//! Validates the body of `PATCH /api/incidents/{id}`.
IncidentPatch ParseIncidentPatch(std::string_view body);

//! The body of `PUT /api/incidents/{id}/feedback`.
struct FeedbackBody {
  std::string label;  //!< confirmed, false_alarm, expected or duplicate
  std::string by;     //!< who labels it: 1 to MAX_FEEDBACK_BY_CHARACTERS characters
  std::string note;   //!< at most MAX_NOTE_CHARACTERS characters; empty when absent
};
//! The longest `by` of a feedback label, in Unicode characters.
constexpr size_t MAX_FEEDBACK_BY_CHARACTERS = 100;
//! Validates the body of `PUT /api/incidents/{id}/feedback`: `label` and `by` required.
FeedbackBody ParseFeedbackBody(std::string_view body);

//! Validates the body of `POST /api/notify/test`: none (every channel) or `{"channel": name}`.
std::optional<std::string> ParseNotifyTestBody(std::string_view body);

//! Validates that a route which takes no body got none (`route` names it in the message).
void ParseEmptyBody(std::string_view body, std::string_view route);

//! The body of `POST /api/incidents/{id}/whatif`, before it is checked against the incident's
//! recommendations.
struct WhatIfBody {
  std::string action_template;  //!< the template name
  nlohmann::json params;        //!< an object of numbers, strings and booleans (finite numbers)
};
//! Validates the body of `POST /api/incidents/{id}/whatif`.
WhatIfBody ParseWhatIfBody(std::string_view body);

//! Validates the body of `POST /api/incidents/{id}/experiment-plan`; returns the
//! recommendation id.
std::string ParseExperimentPlanBody(std::string_view body);

//! Validates the body of `POST /api/analyze`: none, or an empty one.
void ParseAnalyzeBody(std::string_view body);

//! `text` with every byte that is not part of valid UTF-8 (and every control byte) written as
//! `\xFF`, so it can go into a message and a JSON response.
std::string Printable(std::string_view text);

}  // namespace cxagent::server
