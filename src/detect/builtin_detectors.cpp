#include "detect/registry.hpp"
#include "detect/segmentation_detector.hpp"

namespace cxagent::detect {

void RegisterBuiltinDetectors(DetectorRegistry& registry) {
  registry.Register(
      "pelt", "optimal penalised segmentation (PELT) of a robustly scaled series",
      [](const YAML::Node& node) {
        return std::make_unique<SegmentationDetector>(
            "pelt", SegmentationSearch::PELT,
            ParseConfig<SegmentationConfig>(node, "pelt", SegmentationConfig::Fields()));
      });
  registry.Register(
      "binseg", "greedy binary segmentation of a robustly scaled series",
      [](const YAML::Node& node) {
        return std::make_unique<SegmentationDetector>(
            "binseg", SegmentationSearch::BINSEG,
            ParseConfig<SegmentationConfig>(node, "binseg", SegmentationConfig::Fields()));
      });
}

}  // namespace cxagent::detect
