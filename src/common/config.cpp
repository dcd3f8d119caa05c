#include "common/config.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <map>

#include "common/error.hpp"

namespace cxagent {

void RejectDuplicateKeys(const YAML::Node& root, std::string_view file) {
  // Iterative, so that deep nesting cannot exhaust the stack.
  std::vector<YAML::Node> pending{root};
  while (!pending.empty()) {
    const YAML::Node node = pending.back();
    pending.pop_back();
    if (node.IsSequence()) {
      for (const auto& item : node) pending.push_back(item);
    } else if (node.IsMap()) {
      std::map<std::string, int, std::less<>> first_line;
      for (const auto& entry : node) {
        pending.push_back(entry.second);
        if (!entry.first.IsScalar()) continue;
        const int line = entry.first.Mark().line + 1;
        const auto [seen, inserted] = first_line.emplace(entry.first.Scalar(), line);
        if (!inserted) {
          throw InvalidInput("{}: line {}: key '{}' appears twice (first on line {})", file, line,
                             entry.first.Scalar(), seen->second);
        }
      }
    }
  }
}

ConfigReader::ConfigReader(const YAML::Node& node, std::string file, std::string path)
    : node_(node), file_(std::move(file)), path_(std::move(path)) {
  if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap()) {
    throw InvalidInput("{}: {} must be a map of settings", file_,
                       path_.empty() ? "the file" : path_);
  }
}

std::string ConfigReader::Where(std::string_view key) const {
  return fmt::format("{}: {}{}{}", file_, path_, path_.empty() ? "" : ".", key);
}

YAML::Node ConfigReader::Take(std::string_view key) {
  known_.emplace(key);
  if (!node_.IsDefined() || node_.IsNull()) return YAML::Node();
  return node_[std::string(key)];
}

double ConfigReader::Number(std::string_view key, double fallback, double min, double max,
                            std::string_view description) {
  const YAML::Node value = Take(key);
  if (!value.IsDefined() || value.IsNull()) return fallback;
  double number = 0;
  try {
    number = value.as<double>();
  } catch (const YAML::Exception&) {
    throw InvalidInput("{}: '{}' is not a number ({}); allowed: {} to {}", Where(key),
                       value.Scalar(), description, min, max);
  }
  if (!std::isfinite(number) || number < min || number > max) {
    throw InvalidInput("{}: {} is out of range ({}); allowed: {} to {}", Where(key), value.Scalar(),
                       description, min, max);
  }
  return number;
}

int ConfigReader::Integer(std::string_view key, int fallback, int min, int max,
                          std::string_view description) {
  const YAML::Node value = Take(key);
  if (!value.IsDefined() || value.IsNull()) return fallback;
  long long number = 0;
  try {
    number = value.as<long long>();
  } catch (const YAML::Exception&) {
    throw InvalidInput("{}: '{}' is not a whole number ({}); allowed: {} to {}", Where(key),
                       value.Scalar(), description, min, max);
  }
  if (number < min || number > max) {
    throw InvalidInput("{}: {} is out of range ({}); allowed: {} to {}", Where(key), number,
                       description, min, max);
  }
  return static_cast<int>(number);
}

bool ConfigReader::Boolean(std::string_view key, bool fallback, std::string_view description) {
  const YAML::Node value = Take(key);
  if (!value.IsDefined() || value.IsNull()) return fallback;
  try {
    return value.as<bool>();
  } catch (const YAML::Exception&) {
    throw InvalidInput("{}: '{}' is not true or false ({})", Where(key), value.Scalar(),
                       description);
  }
}

std::string ConfigReader::Choice(std::string_view key, std::string fallback,
                                 const std::vector<std::string>& allowed,
                                 std::string_view description) {
  const YAML::Node value = Take(key);
  if (!value.IsDefined() || value.IsNull()) return fallback;
  const std::string text = value.IsScalar() ? value.Scalar() : "";
  if (std::find(allowed.begin(), allowed.end(), text) == allowed.end()) {
    throw InvalidInput("{}: '{}' is not allowed ({}); allowed: {}", Where(key), text, description,
                       fmt::join(allowed, ", "));
  }
  return text;
}

std::string ConfigReader::Text(std::string_view key, std::string fallback,
                               std::string_view description) {
  const YAML::Node value = Take(key);
  if (!value.IsDefined() || value.IsNull()) return fallback;
  if (!value.IsScalar()) {
    throw InvalidInput("{}: must be text ({}), not a list or map", Where(key), description);
  }
  const std::string text = value.Scalar();
  if (text.find_first_of("\r\n") != std::string::npos) {
    throw InvalidInput("{}: must be one line ({})", Where(key), description);
  }
  return text;
}

YAML::Node ConfigReader::Section(std::string_view key) {
  return Take(key);
}

ConfigReader ConfigReader::Nested(const YAML::Node& node, std::string_view key) const {
  return ConfigReader(node, file_, fmt::format("{}{}{}", path_, path_.empty() ? "" : ".", key));
}

void ConfigReader::Finish() const {
  if (!node_.IsDefined() || node_.IsNull()) return;
  for (const auto& entry : node_) {
    if (!entry.first.IsScalar()) {
      throw InvalidInput("{}: line {}: a key must be plain text, not a list or map; known keys: {}",
                         file_, entry.first.Mark().line + 1, fmt::join(known_, ", "));
    }
    const std::string key = entry.first.Scalar();
    if (!known_.contains(key)) {
      throw InvalidInput("{}: unknown key; known keys: {}", Where(key), fmt::join(known_, ", "));
    }
  }
}

}  // namespace cxagent
