#include "server/request_params.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>

#include "common/error.hpp"
#include "server/json_response.hpp"

namespace cxagent::server {

namespace {

bool Contains(std::initializer_list<std::string_view> list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// Characters of a UTF-8 string, not bytes: the limit is what a person typed.
size_t Utf8Length(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

}  // namespace

QueryReader::QueryReader(const httplib::Request& request,
                         std::initializer_list<std::string_view> known) {
  const size_t question = request.target.find('?');
  if (question != std::string::npos) {
    httplib::detail::parse_query_text(request.target.substr(question + 1), params_);
  }
  for (const auto& [name, value] : params_) {
    if (!Contains(known, name)) {
      if (known.size() == 0) {
        throw BadParameter(name, "unknown query parameter '{}'; this route takes none", name);
      }
      throw BadParameter(name, "unknown query parameter '{}'; allowed: {}", name,
                         fmt::join(known, ", "));
    }
    if (params_.count(name) > 1) {
      throw BadParameter(name, "query parameter '{}' is given more than once", name);
    }
  }
}

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
    throw BadParameter(name, "{}", error.what());
  }
}

int64_t QueryReader::Integer(std::string_view name, int64_t fallback, int64_t min,
                             int64_t max) const {
  const auto text = Text(name);
  if (!text) return fallback;
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size() || value < min || value > max) {
    throw BadParameter(name, "{}: '{}' is not an integer from {} to {}", name, *text, min, max);
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
                         value, fmt::join(allowed, ", "));
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

nlohmann::json ParseJsonObject(const httplib::Request& request,
                               std::initializer_list<std::string_view> known) {
  nlohmann::json body;
  try {
    body = nlohmann::json::parse(request.body);
  } catch (const nlohmann::json::parse_error& error) {
    throw BadParameter("body", "body: not valid JSON ({})", error.what());
  }
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

}  // namespace cxagent::server
