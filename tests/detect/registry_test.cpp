#include <gtest/gtest.h>

#include "common/error.hpp"
#include "detect/registry.hpp"

namespace cxagent::detect {
namespace {

DetectorRegistry Builtins() {
  DetectorRegistry registry;
  RegisterBuiltinDetectors(registry);
  return registry;
}

TEST(DetectorRegistry, ListsEveryBuiltinDetectorSorted) {
  EXPECT_EQ(Builtins().Names(),
            (std::vector<std::string>{"binseg", "bocpd", "ewma", "pelt", "zscore"}));
}

TEST(DetectorRegistry, CreatesADetectorByName) {
  EXPECT_EQ(Builtins().Create("bocpd")->Name(), "bocpd");
}

TEST(DetectorRegistry, DefaultChangepointDetectorIsRegistered) {
  EXPECT_TRUE(Builtins().Contains(DEFAULT_CHANGEPOINT_DETECTOR));
}

TEST(DetectorRegistry, RejectsAnUnknownNameListingTheAllowedOnes) {
  try {
    Builtins().Create("prophet");
    FAIL() << "expected InvalidInput";
  } catch (const Error& error) {
    EXPECT_EQ(error.Type(), ErrorType::INVALID_INPUT);
    EXPECT_STREQ(error.what(),
                 "unknown detector 'prophet' (allowed: binseg, bocpd, ewma, pelt, zscore)");
  }
}

TEST(DetectorRegistry, RefusesToRegisterANameTwice) {
  auto registry = Builtins();
  EXPECT_THROW(registry.Register("pelt", "again", [](const YAML::Node&) { return nullptr; }),
               Error);
}

TEST(DetectorRegistry, PassesTheConfigToTheDetector) {
  try {
    Builtins().Create("ewma", YAML::Load("{lambda: 2}"));
    FAIL() << "expected InvalidInput";
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(), "detector 'ewma': 'lambda' must be in [0.001, 1], got 2");
  }
}

}  // namespace
}  // namespace cxagent::detect
