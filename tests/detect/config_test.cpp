#include <gtest/gtest.h>

#include "common/error.hpp"
#include "detect/bocpd_detector.hpp"
#include "detect/config.hpp"
#include "detect/segmentation_detector.hpp"
#include "detect/zscore_detector.hpp"

namespace cxagent::detect {
namespace {

std::string ParseError(const std::string& yaml) {
  try {
    ParseConfig<SegmentationConfig>(YAML::Load(yaml), "pelt", SegmentationConfig::Fields());
  } catch (const Error& error) {
    EXPECT_EQ(error.Type(), ErrorType::INVALID_INPUT);
    return error.what();
  }
  return "no error";
}

TEST(DetectorConfig, EmptyNodeGivesTheDefaults) {
  const auto config =
      ParseConfig<SegmentationConfig>(YAML::Node(), "pelt", SegmentationConfig::Fields());
  EXPECT_EQ(config.penalty, SegmentationConfig{}.penalty);
  EXPECT_EQ(config.min_size, SegmentationConfig{}.min_size);
}

TEST(DetectorConfig, ReadsKnownKeys) {
  const auto config = ParseConfig<SegmentationConfig>(YAML::Load("{penalty: 2.5, min_size: 8}"),
                                                      "pelt", SegmentationConfig::Fields());
  EXPECT_EQ(config.penalty, 2.5);
  EXPECT_EQ(config.min_size, 8);
}

TEST(DetectorConfig, RejectsAnUnknownKeyListingTheAllowedOnes) {
  EXPECT_EQ(ParseError("{penalty: 3, penality: 4}"),
            "detector 'pelt': unknown key 'penality' (allowed: penalty, min_size, model, "
            "outlier_threshold, outlier_window, noise_lag, autocorrelation_passes, "
            "max_autocorrelation, pass_budget)");
}

TEST(DetectorConfig, RejectsAValueOutOfRangeNamingTheKeyAndRange) {
  EXPECT_EQ(ParseError("{model: 3}"), "detector 'pelt': 'model' must be in [0, 2], got 3");
}

TEST(DetectorConfig, RejectsANonNumericValue) {
  EXPECT_EQ(ParseError("{penalty: high}"),
            "detector 'pelt': 'penalty' must be a number in [0.01, 1000]");
}

TEST(DetectorConfig, RejectsAFractionForAWholeNumberKey) {
  EXPECT_EQ(ParseError("{min_size: 2.5}"),
            "detector 'pelt': 'min_size' must be a whole number in [1, 100000], got 2.5");
}

TEST(DetectorConfig, RejectsANonMappingNode) {
  EXPECT_EQ(ParseError("[1, 2]"), "detector 'pelt': the config must be a mapping of key: value");
}

TEST(DetectorConfig, ConstructorRejectsAnOutOfRangeStruct) {
  BocpdConfig config;
  config.expected_run_length = 1;
  try {
    BocpdDetector detector(config);
    FAIL() << "expected InvalidInput";
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(),
                 "detector 'bocpd': 'expected_run_length' must be in [2, 1000000000], got 1");
  }
}

TEST(DetectorConfig, ZscoreWindowMustHoldThreeSeasons) {
  ZscoreConfig config;
  config.window = 14;
  try {
    ZscoreDetector detector(config);
    FAIL() << "expected InvalidInput";
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(),
                 "detector 'zscore': 'window' (14) must hold at least 3 seasons of 7 points");
  }
}

TEST(DetectorConfig, EveryFieldHasADescriptionAndValidDefault) {
  for (const auto& field : SegmentationConfig::Fields()) {
    EXPECT_FALSE(field.description.empty()) << field.name;
    const double value = FieldValue(SegmentationConfig{}, field);
    EXPECT_GE(value, field.min) << field.name;
    EXPECT_LE(value, field.max) << field.name;
  }
}

}  // namespace
}  // namespace cxagent::detect
