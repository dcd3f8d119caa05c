#pragma once

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "common/error.hpp"

namespace cxagent::detect {

//! One numeric field of a detector config: its key, what it means, its bounds and where it lives.
template <typename Config>
struct ConfigField {
  //! The YAML key.
  std::string_view name;
  //! What the field controls, for --help and documentation.
  std::string_view description;
  //! Smallest allowed value.
  double min;
  //! Largest allowed value.
  double max;
  //! The member holding the value; integer members reject fractional values.
  std::variant<double Config::*, int Config::*> member;
};

//! Reads the value of `field` in `config` as a double.
template <typename Config>
double FieldValue(const Config& config, const ConfigField<Config>& field) {
  return std::visit([&](auto member) { return static_cast<double>(config.*member); }, field.member);
}

//! Throws InvalidInput when a field of `config` lies outside its bounds.
template <typename Config>
void ValidateConfig(const Config& config, std::string_view detector,
                    std::span<const ConfigField<Config>> fields) {
  for (const auto& field : fields) {
    const double value = FieldValue(config, field);
    if (!(value >= field.min && value <= field.max)) {
      throw InvalidInput("detector '{}': '{}' must be in [{}, {}], got {}", detector, field.name,
                         field.min, field.max, value);
    }
  }
}

//! Lists the keys of `fields` separated by commas, for error messages.
template <typename Config>
std::string FieldNames(std::span<const ConfigField<Config>> fields) {
  std::string names;
  for (const auto& field : fields) {
    if (!names.empty()) names += ", ";
    names += field.name;
  }
  return names;
}

//! Builds a config from a YAML mapping: defaults for absent keys, InvalidInput for an unknown
//! key (listing the allowed ones), a non-numeric value or a value out of bounds (naming the key
//! and its range). A null or absent node gives the defaults.
template <typename Config>
Config ParseConfig(const YAML::Node& node, std::string_view detector,
                   std::span<const ConfigField<Config>> fields) {
  Config config;
  if (!node || node.IsNull()) return config;
  if (!node.IsMap()) {
    throw InvalidInput("detector '{}': the config must be a mapping of key: value", detector);
  }
  for (const auto& entry : node) {
    const auto key = entry.first.as<std::string>();
    const ConfigField<Config>* found = nullptr;
    for (const auto& field : fields) {
      if (field.name == key) found = &field;
    }
    if (found == nullptr) {
      throw InvalidInput("detector '{}': unknown key '{}' (allowed: {})", detector, key,
                         FieldNames(fields));
    }
    double value = 0;
    try {
      value = entry.second.as<double>();
    } catch (const YAML::Exception&) {
      throw InvalidInput("detector '{}': '{}' must be a number in [{}, {}]", detector, key,
                         found->min, found->max);
    }
    if (!(value >= found->min && value <= found->max)) {
      throw InvalidInput("detector '{}': '{}' must be in [{}, {}], got {}", detector, key,
                         found->min, found->max, value);
    }
    std::visit(
        [&](auto member) {
          using Value = std::remove_reference_t<decltype(config.*member)>;
          if constexpr (std::is_same_v<Value, int>) {
            if (value != std::floor(value)) {
              throw InvalidInput("detector '{}': '{}' must be a whole number in [{}, {}], got {}",
                                 detector, key, found->min, found->max, value);
            }
          }
          config.*member = static_cast<Value>(value);
        },
        found->member);
  }
  return config;
}

}  // namespace cxagent::detect
