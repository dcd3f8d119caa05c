#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pipeline/analysis.hpp"
#include "rca/rca.hpp"
#include "support/test_support.hpp"

namespace cxagent::pipeline {
namespace {

using nlohmann::json;

detect::Incident Incident(const std::string& id, const std::string& severity) {
  detect::Incident incident;
  incident.id = id;
  incident.severity = severity;
  return incident;
}

// An RCA document as the analysis file holds it: the reported causes with their confidence.
json Rca(std::vector<double> confidences) {
  json causes = json::array();
  for (const double confidence : confidences) {
    causes.push_back({{"cause", "batching_expansion"}, {"confidence", confidence}});
  }
  return {{"causes", causes}, {"narrative", ""}};
}

TEST(UnconfirmedIncidentsTest, NoCauseAtTheReportingConfidenceAndNotHighMeansUnconfirmed) {
  const std::vector<detect::Incident> incidents = {
      Incident("INC-0001", "medium"), Incident("INC-0002", "low"), Incident("INC-0003", "high"),
      Incident("INC-0004", "medium"), Incident("INC-0005", "medium")};
  const std::vector<json> rca = {
      Rca({0.05}),        // nothing explains it: unconfirmed
      Rca({0.9, 0.3}),    // explained
      Rca({0.01}),        // unexplained, but high severity: a team must hear of it
      json(),             // no RCA ran: nothing says it is unexplained
      Rca({0.19, 0.2})};  // a second reported cause at the threshold explains it
  const AnalysisConfig config;
  EXPECT_EQ(UnconfirmedIncidents(incidents, rca, config),
            (std::vector<bool>{true, false, false, false, false}));
}

TEST(UnconfirmedIncidentsTest, TheMostConfidentCauseIsTheFirstOfTheHighestNumericConfidence) {
  json rca = {{"causes", json::array({json{{"cause", "a"}, {"confidence", nullptr}},
                                      json{{"cause", "b"}, {"confidence", 0.4}},
                                      json{{"cause", "c"}, {"confidence", 0.4}},
                                      json{{"cause", "d"}, {"confidence", 0.1}}})}};
  const json* best = rca::MostConfidentCause(rca);
  ASSERT_NE(best, nullptr);
  EXPECT_EQ((*best)["cause"], "b");
  EXPECT_EQ(rca::MostConfidentCause(json()), nullptr);
  EXPECT_EQ(rca::MostConfidentCause(json{{"causes", json::array({json{{"cause", "a"}}})}}),
            nullptr);
}

TEST(UnconfirmedIncidentsTest, ACauseWithoutANumericConfidenceSupportsNothing) {
  const std::vector<detect::Incident> incidents = {Incident("INC-0001", "medium")};
  json causes = json::array({json{{"cause", "batching_expansion"}, {"confidence", nullptr}}});
  const std::vector<json> rca = {json{{"causes", causes}}};
  EXPECT_EQ(UnconfirmedIncidents(incidents, rca, AnalysisConfig{}), std::vector<bool>{true});
}

TEST(UnconfirmedIncidentsTest, TheThresholdIsTheRcaReportingConfidenceAndTheStepCanBeTurnedOff) {
  const std::vector<detect::Incident> incidents = {Incident("INC-0001", "medium")};
  const std::vector<json> rca = {Rca({0.5})};
  AnalysisConfig config;
  EXPECT_EQ(UnconfirmedIncidents(incidents, rca, config), std::vector<bool>{false});
  config.rca.min_confidence = 0.6;
  EXPECT_EQ(UnconfirmedIncidents(incidents, rca, config), std::vector<bool>{true});
  config.incidents.require_cause = false;
  EXPECT_EQ(UnconfirmedIncidents(incidents, rca, config), std::vector<bool>{false});
}

TEST(UnconfirmedIncidentsTest, RequireCauseIsReadFromTheConfigAndOnByDefault) {
  EXPECT_TRUE(ReadAnalysisConfig("").incidents.require_cause);
  testing::TempDir dir;
  const auto off = dir.Write("off.yaml", "incidents:\n  require_cause: false\n");
  EXPECT_FALSE(ReadAnalysisConfig(off).incidents.require_cause);
  const auto bad = dir.Write("bad.yaml", "incidents:\n  require_cause: maybe\n");
  const std::string message = testing::ErrorMessage([&] { ReadAnalysisConfig(bad); });
  EXPECT_NE(message.find("incidents.require_cause"), std::string::npos) << message;
}

}  // namespace
}  // namespace cxagent::pipeline
