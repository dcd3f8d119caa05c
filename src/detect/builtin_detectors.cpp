#include "detect/bocpd_detector.hpp"
#include "detect/ewma_detector.hpp"
#include "detect/registry.hpp"
#include "detect/segmentation_detector.hpp"
#include "detect/zscore_detector.hpp"

namespace cxagent::detect {

namespace {

// A factory for a detector whose constructor takes only its parsed config.
template <typename DetectorType, typename Config>
DetectorFactory SimpleFactory(std::string name) {
  return [name](const YAML::Node& node) {
    return std::make_unique<DetectorType>(ParseConfig<Config>(node, name, Config::Fields()));
  };
}

DetectorFactory SegmentationFactory(std::string name, SegmentationSearch search) {
  return [name, search](const YAML::Node& node) {
    return std::make_unique<SegmentationDetector>(
        name, search, ParseConfig<SegmentationConfig>(node, name, SegmentationConfig::Fields()));
  };
}

}  // namespace

void RegisterBuiltinDetectors(DetectorRegistry& registry) {
  registry.Register("zscore", "robust z-score against a trailing same-weekday baseline",
                    SimpleFactory<ZscoreDetector, ZscoreConfig>("zscore"));
  registry.Register("ewma", "EWMA control chart that restarts on the new level after each alarm",
                    SimpleFactory<EwmaDetector, EwmaConfig>("ewma"));
  registry.Register("bocpd", "Bayesian online change-point detection (Adams & MacKay)",
                    SimpleFactory<BocpdDetector, BocpdConfig>("bocpd"));
  registry.Register("pelt", "optimal penalised segmentation (PELT), noise inflated for wander",
                    SegmentationFactory("pelt", SegmentationSearch::PELT));
  registry.Register("binseg", "greedy binary segmentation, noise inflated for wander",
                    SegmentationFactory("binseg", SegmentationSearch::BINSEG));
}

}  // namespace cxagent::detect
