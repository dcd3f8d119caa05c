#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "common/file.hpp"
#include "server/api_fixture.hpp"
#include "server/server.hpp"

namespace cxagent::server {
namespace {

using cxagent::testing::RunCxagent;
using cxagent::testing::TempDir;
using nlohmann::json;
using testing::CopyWorld;
using testing::RunningServer;

void CollectRefs(const json& node, std::set<std::string>& refs) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "$ref" && value.is_string()) refs.insert(value.get<std::string>());
      CollectRefs(value, refs);
    }
  } else if (node.is_array()) {
    for (const auto& value : node) CollectRefs(value, refs);
  }
}

TEST(ApiOpenApiTest, EveryOperationHasASummaryASuccessAndItsPathParameters) {
  const json document = OpenApiDocument();
  size_t operations = 0;
  for (const auto& [path, methods] : document["paths"].items()) {
    for (const auto& [method, operation] : methods.items()) {
      SCOPED_TRACE(method + " " + path);
      ++operations;
      EXPECT_FALSE(operation["summary"].get<std::string>().empty());
      const auto& responses = operation["responses"];
      EXPECT_TRUE(responses.contains("200") || responses.contains("202"));
      EXPECT_TRUE(responses.contains("400"));
      std::set<std::string> declared;
      for (const auto& parameter : operation["parameters"]) {
        if (parameter["in"] == "path") declared.insert(parameter["name"].get<std::string>());
      }
      std::set<std::string> in_path;
      const std::regex parameter(R"(\{([a-z_]+)\})");
      for (std::sregex_iterator it(path.begin(), path.end(), parameter), end; it != end; ++it) {
        in_path.insert((*it)[1]);
      }
      EXPECT_EQ(declared, in_path);
    }
  }
  // interfaces.md §5 lists twelve operations; POST /api/analyze is the refresh; issue 18 adds
  // PUT and DELETE /api/incidents/{id}/feedback, GET /api/feedback, GET /api/notify/log and
  // POST /api/notify/test; GET /api/incidents/resolve finds the incident a notification's link
  // names; GET /api/unconfirmed lists the incidents no cause explains.
  EXPECT_EQ(operations, 20u);
}

TEST(ApiOpenApiTest, EverySchemaReferenceResolvesAndTheNamesOfDocsApiMdExist) {
  const json document = OpenApiDocument();
  std::set<std::string> refs;
  CollectRefs(document, refs);
  for (const auto& ref : refs) {
    const std::string prefix = "#/components/schemas/";
    ASSERT_EQ(ref.rfind(prefix, 0), 0u) << ref;
    EXPECT_TRUE(document["components"]["schemas"].contains(ref.substr(prefix.size()))) << ref;
  }
  for (const char* name : {"Error",
                           "Interval",
                           "Slice",
                           "Health",
                           "CxScoreSeries",
                           "Cohorts",
                           "IncidentSummary",
                           "IncidentList",
                           "IncidentDetail",
                           "SliceRegression",
                           "MetricBreakdown",
                           "Drilldown",
                           "Alert",
                           "IncidentPatch",
                           "Rca",
                           "Cause",
                           "Evidence",
                           "DriverShiftEvidence",
                           "ShapEvidence",
                           "DidEvidence",
                           "ChangeLogEvidence",
                           "RecommendationList",
                           "Recommendation",
                           "EfficiencyDelta",
                           "Efficiency",
                           "Tradeoff",
                           "WhatIfRequest",
                           "WhatIfResult",
                           "CxInterval",
                           "ExperimentPlanRequest",
                           "Schedule",
                           "Feedback",
                           "MutedBy",
                           "FeedbackRequest",
                           "LabelledIncident",
                           "FeedbackSummary",
                           "NotifyChannel",
                           "NotifyDelivery",
                           "NotifyLog",
                           "NotifyTestRequest",
                           "NotifyTestResult",
                           "UnconfirmedIncident",
                           "UnconfirmedList"}) {
    EXPECT_TRUE(document["components"]["schemas"].contains(name)) << name;
  }
}

TEST(ApiOpenApiTest, EveryDocumentedOperationIsRouted) {
  TempDir dir;
  CopyWorld(dir.Path() / "data");
  ServerOptions options;
  options.data_dir = dir.File("data");
  options.web_root = dir.Path().string();
  RunningServer server(options);
  auto client = server.Client();
  const json document = OpenApiDocument();
  for (const auto& [path, methods] : document["paths"].items()) {
    const std::string concrete = std::regex_replace(path, std::regex(R"(\{id\})"), "INC-0001");
    for (const auto& [method, operation] : methods.items()) {
      SCOPED_TRACE(method + " " + concrete);
      ASSERT_TRUE(method == "get" || method == "post" || method == "patch" || method == "put" ||
                  method == "delete");
      httplib::Request request;
      request.method = method;
      std::transform(request.method.begin(), request.method.end(), request.method.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      request.path = concrete;
      if (method != "get" && method != "delete") {
        request.body = "{}";
        request.set_header("Content-Type", "application/json");
      }
      httplib::Response response;
      httplib::Error error = httplib::Error::Success;
      ASSERT_TRUE(client.send(request, response, error)) << httplib::to_string(error);
      EXPECT_NE(response.status, 405) << response.body;
      EXPECT_EQ(response.body.find("no API route"), std::string::npos) << response.body;
    }
  }
}

TEST(ApiOpenApiTest, TheCheckedInSnapshotForTheDashboardIsCurrent) {
  const std::string path = std::string(CXAGENT_SOURCE_DIR) + "/web/src/types/openapi.json";
  const json checked_in = json::parse(ReadFile(path));
  EXPECT_EQ(checked_in, OpenApiDocument())
      << path << " is stale; regenerate it with: build/cxagent serve --openapi > " << path;
}

TEST(ApiOpenApiTest, ServeOpenApiPrintsTheDocumentWithoutData) {
  const auto result = RunCxagent("serve --openapi");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(json::parse(result.out), OpenApiDocument());
}

TEST(ApiOpenApiTest, ServeWithoutDataIsExitTwo) {
  const auto result = RunCxagent("serve");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("serve: --data is required"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace cxagent::server
