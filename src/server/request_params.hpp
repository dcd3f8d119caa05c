#pragma once

#include "server/http.hpp"

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/date.hpp"

namespace cxagent::server {

//! Reads one request's query parameters (from the URL only: httplib also files form-encoded body
//! fields under the request's params), rejecting any the route does not know. Every accessor
//! throws a 400 (ApiError with `{"parameter": name}`) naming the parameter and what is allowed.
//! An empty value counts as absent, so a client may send `?cohort=&limit=` for "no filter".
class QueryReader {
 public:
  //! Checks that every query parameter of `request` is in `known` and none is repeated.
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

//! Parses the request body as a JSON object whose fields are all in `known`; throws a 400
//! naming the body or the unknown field.
nlohmann::json ParseJsonObject(const httplib::Request& request,
                               std::initializer_list<std::string_view> known);

//! The string field `name` of a parsed body, or nullopt when absent; a 400 naming the field when
//! it is not a string or is longer than `max_length` characters.
std::optional<std::string> StringField(const nlohmann::json& body, std::string_view name,
                                       size_t max_length);

}  // namespace cxagent::server
