#include "detect/registry.hpp"

#include <algorithm>

#include "common/error.hpp"

namespace cxagent::detect {

void DetectorRegistry::Register(std::string name, std::string description,
                                DetectorFactory factory) {
  if (Contains(name)) throw InternalError("detector '{}' is registered twice", name);
  entries_.push_back({std::move(name), std::move(description), std::move(factory)});
}

std::unique_ptr<Detector> DetectorRegistry::Create(std::string_view name,
                                                   const YAML::Node& config) const {
  for (const auto& entry : entries_) {
    if (entry.name == name) return entry.factory(config);
  }
  std::string allowed;
  for (const auto& known : Names()) {
    if (!allowed.empty()) allowed += ", ";
    allowed += known;
  }
  throw InvalidInput("unknown detector '{}' (allowed: {})", name, allowed);
}

bool DetectorRegistry::Contains(std::string_view name) const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [&](const Entry& entry) { return entry.name == name; });
}

std::vector<std::string> DetectorRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& entry : entries_) names.push_back(entry.name);
  std::sort(names.begin(), names.end());
  return names;
}

std::string DetectorRegistry::Description(std::string_view name) const {
  for (const auto& entry : entries_) {
    if (entry.name == name) return entry.description;
  }
  return {};
}

}  // namespace cxagent::detect
