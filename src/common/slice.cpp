#include "common/slice.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.hpp"

namespace cxagent {

namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

void CheckName(std::string_view name, std::string_view where) {
  if (name.empty()) throw InvalidInput("slice {}: empty dimension name", where);
  for (char c : name) {
    if (!IsNameChar(c)) {
      throw InvalidInput(
          "slice {}: dimension name '{}' may hold only letters, digits and underscores", where,
          name);
    }
  }
}

void CheckValue(std::string_view name, std::string_view value, std::string_view where) {
  if (value.empty()) throw InvalidInput("slice {}: empty value for dimension '{}'", where, name);
  for (char c : value) {
    if (c == '&' || c == '=' || static_cast<unsigned char>(c) < 0x20) {
      throw InvalidInput(
          "slice {}: value '{}' of dimension '{}' may not contain '&', '=' or "
          "control characters",
          where, value, name);
    }
  }
}

}  // namespace

bool IsDimensionName(std::string_view name) {
  if (name.empty() || name.size() > 64 || !std::islower(static_cast<unsigned char>(name[0]))) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '_';
  });
}

Slice::Slice(std::map<std::string, std::string> pairs) : pairs_(std::move(pairs)) {
  for (const auto& [name, value] : pairs_) {
    CheckName(name, "'" + ToText() + "'");
    CheckValue(name, value, "'" + ToText() + "'");
  }
}

Slice Slice::Parse(std::string_view text) {
  if (text == "all") return Slice{};
  if (text.empty()) throw InvalidInput("slice is empty; expected 'all' or dim=value&dim=value");
  std::map<std::string, std::string> pairs;
  size_t position = 0;
  while (position <= text.size()) {
    const size_t end = std::min(text.find('&', position), text.size());
    const std::string_view pair = text.substr(position, end - position);
    const std::string where = fmt::format("'{}'", text);
    const size_t equals = pair.find('=');
    if (pair.empty())
      throw InvalidInput("slice {}: empty pair at character {}", where, position + 1);
    if (equals == std::string_view::npos) {
      throw InvalidInput("slice {}: pair '{}' has no '='; expected dim=value", where, pair);
    }
    const std::string_view name = pair.substr(0, equals);
    const std::string_view value = pair.substr(equals + 1);
    CheckName(name, where);
    CheckValue(name, value, where);
    if (!pairs.emplace(std::string(name), std::string(value)).second) {
      throw InvalidInput("slice {}: dimension '{}' appears twice", where, name);
    }
    position = end + 1;
  }
  return Slice(std::move(pairs));
}

Slice Slice::FromJson(const nlohmann::json& object) {
  if (!object.is_object()) {
    throw InvalidInput("slice must be a JSON object of dimension: value, got {}", object.dump());
  }
  std::map<std::string, std::string> pairs;
  for (const auto& [name, value] : object.items()) {
    if (!value.is_string()) {
      throw InvalidInput("slice: value of dimension '{}' must be a string, got {}", name,
                         value.dump());
    }
    pairs.emplace(name, value.get<std::string>());
  }
  return Slice(std::move(pairs));
}

std::string Slice::ToText() const {
  if (pairs_.empty()) return "all";
  std::string text;
  for (const auto& [name, value] : pairs_) {
    if (!text.empty()) text += '&';
    text += name;
    text += '=';
    text += value;
  }
  return text;
}

nlohmann::json Slice::ToJson() const {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [name, value] : pairs_) object[name] = value;
  return object;
}

bool Slice::Contains(const Slice& other) const {
  for (const auto& [name, value] : pairs_) {
    const auto found = other.pairs_.find(name);
    if (found == other.pairs_.end() || found->second != value) return false;
  }
  return true;
}

void Slice::RequireDimensions(std::span<const std::string_view> allowed) const {
  for (const auto& [name, value] : pairs_) {
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      throw InvalidInput("slice '{}': unknown dimension '{}'; allowed: {}", ToText(), name,
                         fmt::join(allowed, ", "));
    }
  }
}

NamingKey NamingKeyOf(std::string_view dimension, std::span<const std::string> order) {
  if (order.empty()) {
    const auto* found = std::find(std::begin(NAMING_ORDER), std::end(NAMING_ORDER), dimension);
    if (found != std::end(NAMING_ORDER))
      return {static_cast<size_t>(found - std::begin(NAMING_ORDER)), {}};
    return {std::size(NAMING_ORDER), dimension};
  }
  const auto found = std::find(order.begin(), order.end(), dimension);
  if (found != order.end()) return {static_cast<size_t>(found - order.begin()), {}};
  return {order.size(), dimension};
}

bool NamedBefore(const Slice& a, const Slice& b, std::span<const std::string> order) {
  if (a.Depth() != b.Depth()) return a.Depth() < b.Depth();
  const auto keys = [&](const Slice& slice) {
    std::vector<NamingKey> out;
    for (const auto& [name, value] : slice.Pairs()) out.push_back(NamingKeyOf(name, order));
    std::sort(out.begin(), out.end());
    return out;
  };
  const std::vector<NamingKey> mine = keys(a);
  const std::vector<NamingKey> theirs = keys(b);
  if (mine != theirs) return mine < theirs;
  return a < b;
}

}  // namespace cxagent
