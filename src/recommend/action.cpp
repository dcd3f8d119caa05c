#include "recommend/action.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <set>

#include "common/error.hpp"
#include "storage/needs.hpp"

namespace cxagent::recommend {

std::string_view ActionKindName(ActionKind kind) {
  switch (kind) {
    case ActionKind::REVERT:
      return "revert";
    case ActionKind::IMPROVE:
      return "improve";
    case ActionKind::MITIGATE:
      return "mitigate";
  }
  return "revert";
}

std::optional<ActionKind> ActionTemplate::KindFor(std::string_view cause) const {
  for (const auto& [answered, kind] : causes) {
    if (answered == cause) return kind;
  }
  return std::nullopt;
}

namespace {

std::vector<std::string> ParamNames(const ActionTemplate& action) {
  std::vector<std::string> names;
  for (const auto& param : action.params) names.push_back(param.name);
  return names;
}

void CheckValue(const ActionTemplate& action, const ParamSpec& spec, double value) {
  if (!std::isfinite(value)) {
    throw InvalidInput("{}: parameter '{}' must be a finite number", action.name, spec.name);
  }
  if (spec.integer && value != std::round(value)) {
    throw InvalidInput("{}: parameter '{}' must be a whole number, got {}", action.name, spec.name,
                       value);
  }
  if (value < spec.min || value > spec.max) {
    throw InvalidInput("{}: parameter '{}' must be between {} and {} ({}), got {}", action.name,
                       spec.name, spec.min, spec.max, spec.description, value);
  }
}

}  // namespace

void ActionTemplate::Validate(const ParamValues& values) const {
  for (const auto& [key, value] : values) {
    const ParamSpec* spec = nullptr;
    for (const auto& candidate : params) {
      if (candidate.name == key) spec = &candidate;
    }
    if (spec == nullptr) {
      throw InvalidInput("{}: unknown parameter '{}'; allowed: {}", name, key,
                         fmt::join(ParamNames(*this), ", "));
    }
    CheckValue(*this, *spec, value);
  }
  for (const auto& spec : params) {
    if (!values.contains(spec.name)) {
      throw InvalidInput("{}: parameter '{}' is missing", name, spec.name);
    }
  }
}

ParamValues ActionTemplate::Resolve(const nlohmann::json& given,
                                    const IncidentSample& sample) const {
  if (!given.is_null() && !given.is_object()) {
    throw InvalidInput("{}: parameters must be an object of numbers, got {}", name,
                       given.type_name());
  }
  ParamValues values;
  if (given.is_object()) {
    for (const auto& item : given.items()) {
      // Not a structured binding: clang 14 (the sanitizer build) cannot capture one in a lambda.
      const std::string& key = item.key();
      const nlohmann::json& value = item.value();
      const bool known = std::any_of(params.begin(), params.end(),
                                     [&](const ParamSpec& spec) { return spec.name == key; });
      if (!known) {
        throw InvalidInput("{}: unknown parameter '{}'; allowed: {}", name, key,
                           fmt::join(ParamNames(*this), ", "));
      }
      if (!value.is_number()) {
        throw InvalidInput("{}: parameter '{}' must be a number, got {}", name, key,
                           value.type_name());
      }
      values[key] = value.get<double>();
    }
  }
  // Validate what was given before defaults are measured, so the message names the user's value.
  for (const auto& spec : params) {
    if (values.contains(spec.name)) CheckValue(*this, spec, values.at(spec.name));
  }
  if (values.size() < params.size()) {
    const ParamValues measured = defaults ? defaults(sample) : ParamValues{};
    for (const auto& spec : params) {
      if (values.contains(spec.name)) continue;
      const auto found = measured.find(spec.name);
      if (found == measured.end()) {
        throw InternalError("{}: no default for parameter '{}'", name, spec.name);
      }
      // A measured level outside the allowed range is clamped to it (an extreme incident).
      double value = std::clamp(found->second, spec.min, spec.max);
      if (spec.integer) value = std::round(value);
      values[spec.name] = value;
    }
  }
  return values;
}

void ActionRegistry::Register(ActionTemplate action) {
  if (action.name.empty()) throw InvalidInput("action template with an empty name");
  if (Contains(action.name)) {
    throw InvalidInput("action template '{}' is registered twice", action.name);
  }
  if (!action.apply || !action.describe) {
    throw InvalidInput("action template '{}' has no simulation or description", action.name);
  }
  for (const auto need : action.needs) {
    if (!storage::IsContractColumn(need)) {
      throw InvalidInput("action template '{}' needs '{}', which is not a contract column",
                         action.name, need);
    }
  }
  for (const auto& [cause, kind] : action.causes) {
    if (kind != ActionKind::REVERT) continue;
    if (const ActionTemplate* other = RevertFor(cause)) {
      throw InvalidInput("cause '{}' already has the revert template '{}'; '{}' cannot be another",
                         cause, other->name, action.name);
    }
  }
  templates_.push_back(std::move(action));
}

const ActionTemplate& ActionRegistry::Find(std::string_view name) const {
  for (const auto& action : templates_) {
    if (action.name == name) return action;
  }
  throw InvalidInput("unknown action template '{}'; known: {}", name, fmt::join(Names(), ", "));
}

bool ActionRegistry::Contains(std::string_view name) const {
  return std::any_of(templates_.begin(), templates_.end(),
                     [&](const ActionTemplate& action) { return action.name == name; });
}

std::vector<const ActionTemplate*> ActionRegistry::ForCause(std::string_view cause) const {
  std::vector<const ActionTemplate*> found;
  if (const ActionTemplate* revert = RevertFor(cause)) found.push_back(revert);
  for (const auto& action : templates_) {
    const auto kind = action.KindFor(cause);
    if (kind && *kind != ActionKind::REVERT) found.push_back(&action);
  }
  return found;
}

const ActionTemplate* ActionRegistry::RevertFor(std::string_view cause) const {
  for (const auto& action : templates_) {
    if (action.KindFor(cause) == ActionKind::REVERT) return &action;
  }
  return nullptr;
}

std::vector<std::string> ActionRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& action : templates_) names.push_back(action.name);
  return names;
}

std::vector<UnavailableAction> UnavailableActions(const ActionRegistry& registry,
                                                  const storage::Dataset& dataset) {
  std::vector<UnavailableAction> unavailable;
  for (const auto& action : registry.All()) {
    std::vector<std::string> missing = storage::MissingNeeds(dataset, action.needs);
    if (!missing.empty()) unavailable.push_back({action.name, std::move(missing)});
  }
  return unavailable;
}

}  // namespace cxagent::recommend
