#include <gtest/gtest.h>

#include "pipeline/analysis.hpp"
#include "support/test_support.hpp"

namespace cxagent::rca {
namespace {

using testing::ErrorMessage;
using testing::TempDir;

TEST(RcaConfigTest, DefaultsWhenTheSectionIsAbsent) {
  const auto config = pipeline::ReadAnalysisConfig("");
  EXPECT_TRUE(config.rca.enabled);
  EXPECT_TRUE(config.rca.hypotheses.empty());
  EXPECT_EQ(config.rca.change_window_days, 3);
  EXPECT_FALSE(config.rca.report_all);
  EXPECT_TRUE(config.rca.baseline_variance_z);
  EXPECT_TRUE(config.rca.wider_incidents);
  EXPECT_TRUE(config.rca.narrower_incidents);
  EXPECT_EQ(config.rca.max_window_days, 28);
}

TEST(RcaConfigTest, ReadsTheSection) {
  TempDir dir;
  const std::string path =
      dir.Write("cx.yaml",
                "rca:\n  hypotheses: [batching_expansion, severe_weather]\n  min_confidence: 0.5\n"
                "  model_rounds: 40\n  threads: 1\n  enabled: false\n  max_window_days: 14\n"
                "  baseline_variance_z: false\n  wider_incidents: false\n"
                "  narrower_incidents: false\n");
  const auto config = pipeline::ReadAnalysisConfig(path);
  EXPECT_EQ(config.rca.hypotheses,
            (std::vector<std::string>{"batching_expansion", "severe_weather"}));
  EXPECT_DOUBLE_EQ(config.rca.min_confidence, 0.5);
  EXPECT_EQ(config.rca.model.rounds, 40);
  EXPECT_EQ(config.rca.threads, 1);
  EXPECT_FALSE(config.rca.enabled);
  EXPECT_EQ(config.rca.max_window_days, 14);
  EXPECT_FALSE(config.rca.baseline_variance_z);
  EXPECT_FALSE(config.rca.wider_incidents);
  EXPECT_FALSE(config.rca.narrower_incidents);
}

TEST(RcaConfigTest, ErrorsNameTheFileTheKeyAndWhatIsAllowed) {
  TempDir dir;
  const auto message = [&](const std::string& yaml) {
    const std::string path = dir.Write("bad.yaml", yaml);
    return ErrorMessage([&] { pipeline::ReadAnalysisConfig(path); });
  };
  std::string m = message("rca:\n  min_confidence: 2\n");
  EXPECT_NE(m.find("bad.yaml: rca.min_confidence: 2 is out of range"), std::string::npos) << m;
  m = message("rca:\n  hypotheses: [gremlins]\n");
  EXPECT_NE(m.find("rca.hypotheses: unknown hypothesis 'gremlins'; allowed: batching_expansion"),
            std::string::npos)
      << m;
  m = message("rca:\n  hypotheses: [demand_surge, demand_surge]\n");
  EXPECT_NE(m.find("listed twice"), std::string::npos) << m;
  m = message("rca:\n  hypotheses: []\n");
  EXPECT_NE(m.find("must be a non-empty list"), std::string::npos) << m;
  m = message("rca:\n  wider_incidents: 3\n");
  EXPECT_NE(m.find("rca.wider_incidents"), std::string::npos) << m;
  m = message("rca:\n  narrower_incidents: maybe\n");
  EXPECT_NE(m.find("rca.narrower_incidents"), std::string::npos) << m;
  m = message("rca:\n  sample_size: 10\n");
  EXPECT_NE(m.find("rca.sample_size: unknown key"), std::string::npos) << m;
  m = message("rca:\n  facts_per_window: 5000\n");
  EXPECT_NE(m.find("rca.facts_per_window: 5000 is below sample_per_window (10000)"),
            std::string::npos)
      << m;
  m = message("rca:\n  max_window_days: 0\n");
  EXPECT_NE(m.find("bad.yaml: rca.max_window_days: 0 is out of range"), std::string::npos) << m;
  m = message("rca:\n  model_rounds: lots\n");
  EXPECT_NE(m.find("rca.model_rounds: 'lots' is not a whole number"), std::string::npos) << m;
}

}  // namespace
}  // namespace cxagent::rca
