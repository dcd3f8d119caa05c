#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "detect/detector.hpp"

namespace cxagent::detect {

//! Builds a detector from its YAML config (null node = defaults); throws InvalidInput on a bad one.
using DetectorFactory = std::function<std::unique_ptr<Detector>(const YAML::Node& config)>;

//! Detectors by name. Filled explicitly by RegisterBuiltinDetectors, never by static initialisers.
class DetectorRegistry {
 public:
  //! Adds a detector; throws Internal when `name` is taken.
  void Register(std::string name, std::string description, DetectorFactory factory);
  //! Builds the detector called `name`; throws InvalidInput listing the known names otherwise.
  std::unique_ptr<Detector> Create(std::string_view name,
                                   const YAML::Node& config = YAML::Node()) const;
  //! True when a detector called `name` is registered.
  bool Contains(std::string_view name) const;
  //! The registered names, sorted.
  std::vector<std::string> Names() const;
  //! The one-line description of `name` (empty when unknown).
  std::string Description(std::string_view name) const;

 private:
  struct Entry {
    std::string name;
    std::string description;
    DetectorFactory factory;
  };
  std::vector<Entry> entries_;
};

//! Registers every detector the engine ships (zscore, ewma, bocpd, pelt, binseg) in `registry`.
void RegisterBuiltinDetectors(DetectorRegistry& registry);

//! The detector `cxagent changepoints` uses when no --method is given (the most accurate one on
//! the TCPD benchmark, see docs/detectors.md).
inline constexpr std::string_view DEFAULT_CHANGEPOINT_DETECTOR = "pelt";

}  // namespace cxagent::detect
