#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>
#include <tuple>
#include <vector>

#include "common/date.hpp"
#include "common/file.hpp"
#include "common/slice.hpp"
#include "server/api_fixture.hpp"
#include "server/once_cache.hpp"
#include "server/server.hpp"
#include "storage/duckdb.hpp"
#include "storage/incident_status.hpp"
#include "storage/results_store.hpp"

namespace cxagent::server {
namespace {

using cxagent::testing::ErrorMessage;
using cxagent::testing::TempDir;
using nlohmann::json;
using testing::Body;
using testing::CopyWorld;
using testing::ExpectError;
using testing::RewriteStoredAnalysis;
using testing::RunningServer;

// Counts calls and takes a while, so that concurrent first requests overlap.
class CountingSimulator : public Simulator {
 public:
  json WhatIf(const WhatIfRequest& request) const override {
    ++what_ifs;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const double cap = request.params.value("max_batch", 1.0);
    return {{"template", request.action_template},
            {"params", request.params},
            {"action", "Cap batching at " + std::to_string(static_cast<int>(cap))},
            {"expected_cx_delta", {{"mean", 5.0 / cap}, {"ci90", {4.0 / cap, 6.0 / cap}}}},
            {"efficiency_delta", json::object()}};
  }
  std::string ExperimentPlan(const std::string&, const json& incident,
                             const json& recommendation) const override {
    return "# Plan for " + incident["id"].get<std::string>() + " / " +
           recommendation["id"].get<std::string>() + "\n";
  }
  mutable std::atomic<int> what_ifs{0};
};

// Takes out what the RCA and recommendations stages wrote, as in results stored before they
// existed, so the 501 path can be tested.
void RemoveRcaAndRecommendations(const std::string& data_dir) {
  RewriteStoredAnalysis(data_dir, [](json& analysis) {
    for (auto& incident : analysis["incidents"]) {
      incident.erase("rca");
      incident.erase("recommendations");
      incident.erase("tradeoffs");
    }
  });
}

// Replaces the rca and recommendations with fixed ones, so the routes serving them are tested
// on known values.
void AddRcaAndRecommendations(const std::string& data_dir) {
  RewriteStoredAnalysis(data_dir, [](json& analysis) {
    const json interval = {{"mean", 5.1}, {"ci90", {4.2, 6.0}}};
    for (auto& incident : analysis["incidents"]) {
      const std::string number = incident["id"].get<std::string>().substr(4);
      incident["rca"] = {{"causes",
                          {{{"cause", "batching_expansion"},
                            {"label", "Batching expansion"},
                            {"actionable", true},
                            {"confidence", 0.91},
                            {"impact", -5.8},
                            {"evidence", json::array()}}}},
                         {"narrative", "Batching grew."}};
      incident["recommendations"] = {{{"id", "REC-" + number + "-1"},
                                      {"cause", "batching_expansion"},
                                      {"kind", "revert"},
                                      {"action", "Cap batching at 1"},
                                      {"template", "batching_cap"},
                                      {"params", {{"max_batch", 1}}},
                                      {"expected_cx_delta", interval},
                                      {"efficiency_delta", json::object()},
                                      {"cx_per_cost", 2.0}}};
      incident["tradeoffs"] = json::array();
    }
  });
}

// The analyzed test world served on a free port.
class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CopyWorld(dir_.Path() / "data");
    Start();
  }
  void Start(std::shared_ptr<const Simulator> simulator = nullptr) {
    server_.reset();
    ServerOptions options;
    options.data_dir = dir_.File("data");
    options.web_root = dir_.Path().string();
    options.simulator = std::move(simulator);
    server_ = std::make_unique<RunningServer>(options);
  }
  httplib::Client Client() const { return server_->Client(); }
  httplib::Result Patch(const std::string& path, const std::string& body) const {
    return Client().Patch(path.c_str(), body, "application/json");
  }
  httplib::Result Post(const std::string& path, const std::string& body) const {
    return Client().Post(path.c_str(), body, "application/json");
  }
  // Waits for a background re-analysis to finish; returns the health document.
  json WaitForIdle() const {
    for (int i = 0; i < 600; ++i) {
      const json health = Body(Client().Get("/api/health"));
      if (health["analysis"]["state"] == "idle") return health;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "the re-analysis did not finish within 30 s";
    return json();
  }

  TempDir dir_;
  std::unique_ptr<RunningServer> server_;
};

TEST_F(ApiTest, IncidentsAreSortedBySeverityThenNewestWithTotal) {
  const auto body = Body(Client().Get("/api/incidents"));
  const auto& incidents = body["incidents"];
  ASSERT_GE(incidents.size(), 2u);
  EXPECT_EQ(body["total"], incidents.size());
  const auto rank = [](const json& row) {
    const auto severity = row["severity"].get<std::string>();
    return severity == "high" ? 0 : severity == "medium" ? 1 : 2;
  };
  for (size_t i = 1; i < incidents.size(); ++i) {
    const auto& a = incidents[i - 1];
    const auto& b = incidents[i];
    EXPECT_TRUE(rank(a) < rank(b) || (rank(a) == rank(b) && a["start_date"].get<std::string>() >=
                                                                b["start_date"].get<std::string>()))
        << a << "\n"
        << b;
  }
  for (const char* field :
       {"id", "metric", "start_date", "end_date", "severity", "score", "baseline", "current",
        "delta", "slice", "slice_text", "status", "note", "updated_at"}) {
    EXPECT_TRUE(incidents[0].contains(field)) << field;
  }
  EXPECT_EQ(incidents[0]["status"], "open");
  EXPECT_TRUE(incidents[0]["updated_at"].is_null());
}

TEST_F(ApiTest, IncidentsPageWithLimitAndOffset) {
  const auto all = Body(Client().Get("/api/incidents"))["incidents"];
  const auto page = Body(Client().Get("/api/incidents?limit=1&offset=1"));
  EXPECT_EQ(page["total"], all.size());
  ASSERT_EQ(page["incidents"].size(), 1u);
  EXPECT_EQ(page["incidents"][0]["id"], all[1]["id"]);
  EXPECT_TRUE(Body(Client().Get("/api/incidents?offset=100"))["incidents"].empty());
}

TEST_F(ApiTest, IncidentsFilterByDatesSeverityAndStatus) {
  const auto all = Body(Client().Get("/api/incidents"))["incidents"];
  // The grocery outage ends on 2026-06-20; the Seattle regression is still open.
  const auto late = Body(Client().Get("/api/incidents?start_date=2026-06-25"));
  for (const auto& row : late["incidents"]) {
    EXPECT_TRUE(row["end_date"].is_null() || row["end_date"].get<std::string>() >= "2026-06-25")
        << row;
  }
  EXPECT_LT(late["total"].get<size_t>(), all.size());
  const auto early = Body(Client().Get("/api/incidents?end_date=2026-06-12"));
  for (const auto& row : early["incidents"]) {
    EXPECT_LE(row["start_date"].get<std::string>(), "2026-06-12") << row;
  }
  const auto low = Body(Client().Get("/api/incidents?severity=low"));
  for (const auto& row : low["incidents"]) EXPECT_EQ(row["severity"], "low");
  const auto some = Body(Client().Get("/api/incidents?severity=high,medium,low"));
  EXPECT_EQ(some["total"], all.size());
  EXPECT_EQ(Body(Client().Get("/api/incidents?status=resolved"))["total"], 0);
  EXPECT_EQ(Body(Client().Get("/api/incidents?status=open"))["total"], all.size());
}

TEST_F(ApiTest, EmptyParametersMeanNoFilter) {
  const auto body = Body(Client().Get("/api/incidents?severity=&limit=&start_date="));
  EXPECT_EQ(body["total"], Body(Client().Get("/api/incidents"))["total"]);
}

TEST_F(ApiTest, IncidentListRejectsMalformedParameters) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"limit=0", "limit: '0' is not an integer from 1 to 500"},
      {"limit=501", "limit: '501' is not an integer from 1 to 500"},
      {"limit=ten", "limit: 'ten' is not an integer from 1 to 500"},
      {"limit=5x", "limit: '5x' is not an integer from 1 to 500"},
      {"offset=-1", "offset: '-1' is not an integer from 0 to"},
      {"severity=critical", "severity: 'critical' is not allowed; allowed: high, medium, low"},
      {"status=closed", "status: 'closed' is not allowed; allowed: open, acknowledged, resolved"},
      {"start_date=2026-6-1", "start_date: '2026-6-1' is not a date; expected YYYY-MM-DD"},
      {"end_date=2026-02-30", "end_date: '2026-02-30' is not a calendar date"},
      {"start_date=2026-06-20&end_date=2026-06-10",
       "start_date 2026-06-20 is after end_date 2026-06-10"},
      {"sort=asc", "unknown query parameter 'sort'; allowed: start_date, end_date, severity"},
      {"limit=1&limit=2", "query parameter 'limit' is given more than once"},
  };
  for (const auto& [query, message] : cases) {
    SCOPED_TRACE(query);
    const auto result = Client().Get(("/api/incidents?" + query).c_str());
    ExpectError(result, 400, "invalid_input", message);
    const std::string parameter = query.substr(0, query.find('='));
    EXPECT_EQ(Body(result)["error"]["details"]["parameter"], parameter);
  }
}

TEST_F(ApiTest, IncidentDetailHasBreakdownDrilldownAndAlerts) {
  const auto list = Body(Client().Get("/api/incidents"))["incidents"];
  const std::string id = list[0]["id"];
  const auto result = Client().Get(("/api/incidents/" + id).c_str());
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  const auto detail = Body(result);
  EXPECT_EQ(detail["id"], id);
  EXPECT_EQ(detail["slice_text"], list[0]["slice_text"]);
  EXPECT_FALSE(detail["slices"].empty());
  EXPECT_EQ(detail["window"]["start"], detail["start_date"]);
  EXPECT_LT(detail["window"]["baseline_end"].get<std::string>(),
            detail["window"]["start"].get<std::string>());
  std::vector<std::string> metrics;
  for (const auto& entry : detail["breakdown"]) metrics.push_back(entry["metric"]);
  EXPECT_EQ(metrics, (std::vector<std::string>{"cx_score", "on_time_rate", "cancel_rate",
                                               "missing_item_rate", "substitution_accept_rate",
                                               "contact_rate", "avg_rating", "low_rating_rate"}));
  const auto& cx = detail["breakdown"][0];
  EXPECT_EQ(cx["series"].size(), 30u);
  // The regression is inside the slice: its CX Score fell more than the rest's.
  EXPECT_LT(cx["delta"].get<double>(), -1.0) << cx.dump();
  EXPECT_LT(cx["delta"].get<double>(),
            cx["rest_current"].get<double>() - cx["rest_baseline"].get<double>());
  const Slice slice = Slice::FromJson(detail["slice"]);
  for (const auto& entry : detail["drilldown"]) {
    EXPECT_FALSE(slice.Pairs().contains(entry["dimension"].get<std::string>())) << entry;
    const auto& rows = entry["rows"];
    for (size_t i = 1; i < rows.size(); ++i) {
      EXPECT_LE(rows[i - 1]["delta"].get<double>(), rows[i]["delta"].get<double>()) << entry;
    }
  }
  EXPECT_FALSE(detail["drilldown"].empty());
  EXPECT_TRUE(detail["alerts"].is_array());
}

TEST_F(ApiTest, UnknownIncidentIs404OnEveryIncidentRoute) {
  ExpectError(Client().Get("/api/incidents/INC-9999"), 404, "not_found",
              "no incident with id 'INC-9999'");
  ExpectError(Client().Get("/api/incidents/INC-9999/rca"), 404, "not_found", "INC-9999");
  ExpectError(Client().Get("/api/incidents/INC-9999/recommendations"), 404, "not_found",
              "INC-9999");
  ExpectError(Patch("/api/incidents/INC-9999", R"({"status":"resolved"})"), 404, "not_found",
              "INC-9999");
  ExpectError(Post("/api/incidents/INC-9999/whatif", R"({"template":"batching_cap"})"), 404,
              "not_found", "INC-9999");
  ExpectError(Post("/api/incidents/INC-9999/experiment-plan", R"({"recommendation_id":"R"})"), 404,
              "not_found", "INC-9999");
}

// GET /api/incidents/resolve for an identity.
std::string ResolvePath(const std::string& metric, const std::string& slice,
                        const std::string& start) {
  return httplib::append_query_params("/api/incidents/resolve",
                                      {{"metric", metric}, {"slice", slice}, {"start", start}});
}

// `date` moved by `days`.
std::string Shifted(const std::string& date, int days) {
  return FormatDate(AddDays(ParseDate(date, "date"), days));
}

TEST_F(ApiTest, ResolveFindsTheIncidentOfAnIdentityWithItsStartMovedUpToThreeDays) {
  const auto row = Body(Client().Get("/api/incidents"))["incidents"][1];
  const std::string metric = row["metric"];
  const std::string slice = row["slice_text"];
  const std::string start = row["start_date"];
  for (const int days : {0, -3, 2, 3}) {
    SCOPED_TRACE(days);
    const auto result = Client().Get(ResolvePath(metric, slice, Shifted(start, days)).c_str());
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, 200) << result->body;
    const json summary = Body(result);
    EXPECT_EQ(summary["id"], row["id"]);
    // The summary of the list, triage state and label included.
    EXPECT_EQ(summary, row);
  }
}

TEST_F(ApiTest, ResolveTakesTheNearestStartAndTheEarlierOnATie) {
  const auto row = Body(Client().Get("/api/incidents"))["incidents"][0];
  const std::string start = row["start_date"];
  // A second incident of the same metric and slice, starting four days later.
  RewriteStoredAnalysis(dir_.File("data"), [&](json& analysis) {
    for (const auto& incident : json(analysis["incidents"])) {
      if (incident["id"] != row["id"]) continue;
      json later = incident;
      later["id"] = "INC-0100";
      later["start_date"] = Shifted(start, 4);
      analysis["incidents"].push_back(later);
    }
  });
  Start();
  const auto resolved = [&](int days) {
    const auto result =
        Client().Get(ResolvePath(row["metric"].get<std::string>(),
                                 row["slice_text"].get<std::string>(), Shifted(start, days))
                         .c_str());
    EXPECT_EQ(result->status, 200) << result->body;
    return Body(result)["id"].get<std::string>();
  };
  EXPECT_EQ(resolved(1), row["id"]);
  EXPECT_EQ(resolved(3), "INC-0100");
  EXPECT_EQ(resolved(7), "INC-0100");
  EXPECT_EQ(resolved(2), row["id"]);  // two days from both: the earlier start
}

TEST_F(ApiTest, ResolveIs404WhenNoIncidentOfTheAnalysisMatches) {
  const auto row = Body(Client().Get("/api/incidents"))["incidents"][0];
  const std::string metric = row["metric"];
  const std::string slice = row["slice_text"];
  const std::string start = row["start_date"];
  const auto result = Client().Get(ResolvePath(metric, slice, Shifted(start, -4)).c_str());
  ExpectError(result, 404, "not_found",
              fmt::format("no incident of the current analysis has metric {} and slice {} with a "
                          "start within 3 days of {}",
                          metric, slice, Shifted(start, -4)));
  EXPECT_EQ(Body(result)["error"]["details"]["slice_text"], slice);
  ExpectError(Client().Get(ResolvePath(metric, "region=nowhere", start).c_str()), 404, "not_found",
              "slice region=nowhere");
  ExpectError(
      Client().Get(
          ResolvePath(metric == "cx_score" ? "order_volume" : "cx_score", slice, start).c_str()),
      404, "not_found", "no incident of the current analysis");
}

TEST_F(ApiTest, ResolveRejectsAMissingOrMalformedParameterNamingIt) {
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"slice=all&start=2026-06-20", "metric", "metric is required"},
      {"metric=&slice=all&start=2026-06-20", "metric", "metric is required"},
      {"metric=cx&slice=all&start=2026-06-20", "metric", "metric: unknown metric 'cx'"},
      {"metric=cx_score&start=2026-06-20", "slice", "slice is required"},
      {"metric=cx_score&slice=&start=2026-06-20", "slice", "slice is required"},
      {"metric=cx_score&slice=region&start=2026-06-20", "slice",
       "slice 'region': pair 'region' has no '='"},
      {"metric=cx_score&slice=all", "start", "start is required"},
      {"metric=cx_score&slice=all&start=20-06-2026", "start",
       "start: '20-06-2026' is not a date; expected YYYY-MM-DD"},
      {"metric=cx_score&slice=all&start=2026-02-30", "start",
       "start: '2026-02-30' is not a calendar date"},
      {"metric=cx_score&slice=all&start=2026-06-20&id=INC-0001", "id",
       "unknown query parameter 'id'; allowed: metric, slice, start"},
  };
  for (const auto& [query, parameter, message] : cases) {
    SCOPED_TRACE(query);
    const auto result = Client().Get(("/api/incidents/resolve?" + query).c_str());
    ExpectError(result, 400, "invalid_input", message);
    EXPECT_EQ(Body(result)["error"]["details"]["parameter"], parameter);
  }
}

TEST_F(ApiTest, ConcurrentFirstDetailRequestsComputeOnce) {
  const std::string id = Body(Client().Get("/api/incidents"))["incidents"][0]["id"];
  std::atomic<int> misses{0};
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 16; ++i) {
    clients.emplace_back([&] {
      const auto result = Client().Get(("/api/incidents/" + id).c_str());
      if (result && result->status == 200) ++ok;
      if (result && result->get_header_value("X-Cache") == "miss") ++misses;
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(ok, 16);
  EXPECT_EQ(misses, 1);
  EXPECT_EQ(Client().Get(("/api/incidents/" + id).c_str())->get_header_value("X-Cache"), "hit");
}

TEST_F(ApiTest, PatchSetsStatusAndNoteAndPersistsThem) {
  const std::string id = Body(Client().Get("/api/incidents"))["incidents"][0]["id"];
  const auto result =
      Patch("/api/incidents/" + id, R"({"status":"acknowledged","note":"looking into it"})");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  const auto summary = Body(result);
  EXPECT_EQ(summary["status"], "acknowledged");
  EXPECT_EQ(summary["note"], "looking into it");
  EXPECT_TRUE(summary["updated_at"].is_string());
  // Only the note: the status stays.
  const auto noted = Body(Patch("/api/incidents/" + id, R"({"note":"paged the team"})"));
  EXPECT_EQ(noted["status"], "acknowledged");
  EXPECT_EQ(noted["note"], "paged the team");
  EXPECT_EQ(Body(Client().Get(("/api/incidents/" + id).c_str()))["note"], "paged the team");
  EXPECT_EQ(Body(Client().Get("/api/incidents?status=acknowledged"))["total"], 1);
  const auto saved = storage::LoadIncidentStatuses(dir_.File("data"));
  ASSERT_EQ(saved.size(), 1u);
  EXPECT_EQ(saved.begin()->second.status, "acknowledged");
  EXPECT_EQ(saved.begin()->first, summary["metric"].get<std::string>() + "|" +
                                      summary["slice_text"].get<std::string>() + "|" +
                                      summary["start_date"].get<std::string>());
}

TEST_F(ApiTest, PatchSurvivesARestart) {
  const std::string id = Body(Client().Get("/api/incidents"))["incidents"][1]["id"];
  ASSERT_EQ(Patch("/api/incidents/" + id, R"({"status":"resolved","note":"fixed"})")->status, 200);
  Start();
  const auto detail = Body(Client().Get(("/api/incidents/" + id).c_str()));
  EXPECT_EQ(detail["status"], "resolved");
  EXPECT_EQ(detail["note"], "fixed");
}

TEST_F(ApiTest, PatchSurvivesAReanalysisMatchedByIdentityNotId) {
  const auto before = Body(Client().Get("/api/incidents"))["incidents"][1];
  ASSERT_EQ(
      Patch("/api/incidents/" + before["id"].get<std::string>(), R"({"status":"acknowledged"})")
          ->status,
      200);
  const auto started = Post("/api/analyze", "");
  ASSERT_TRUE(started);
  EXPECT_EQ(started->status, 202) << started->body;
  EXPECT_EQ(Body(started)["state"], "running");
  const json health = WaitForIdle();
  EXPECT_TRUE(health["analysis"]["last_error"].is_null()) << health;
  EXPECT_TRUE(health["analysis"]["finished_at"].is_string()) << health;
  bool found = false;
  const json after = Body(Client().Get("/api/incidents"));
  for (const auto& row : after["incidents"]) {
    if (row["slice_text"] == before["slice_text"] && row["start_date"] == before["start_date"]) {
      found = true;
      EXPECT_EQ(row["status"], "acknowledged") << row;
    } else {
      EXPECT_EQ(row["status"], "open") << row;
    }
  }
  EXPECT_TRUE(found) << before << "\n" << after;
}

TEST_F(ApiTest, PatchRejectsMalformedBodies) {
  const std::string path =
      "/api/incidents/" +
      Body(Client().Get("/api/incidents"))["incidents"][0]["id"].get<std::string>();
  ExpectError(Patch(path, R"({"status":"closed"})"), 400, "invalid_input",
              "status 'closed' is not allowed; allowed: open, acknowledged, resolved");
  ExpectError(Patch(path, R"({"status":3})"), 400, "invalid_input",
              "'status' must be a string, got number");
  ExpectError(Patch(path, R"({"note":["a"]})"), 400, "invalid_input",
              "'note' must be a string, got array");
  ExpectError(Patch(path, R"({"priority":"p1"})"), 400, "invalid_input",
              "unknown field 'priority'; allowed: status, note");
  ExpectError(Patch(path, R"({})"), 400, "invalid_input", "give 'status', 'note' or both");
  ExpectError(Patch(path, R"([1])"), 400, "invalid_input", "expected a JSON object, got array");
  ExpectError(Patch(path, R"({"status":)"), 400, "invalid_input", "body: not valid JSON");
  ExpectError(Patch(path, json({{"note", std::string(2001, 'x')}}).dump()), 400, "invalid_input",
              "'note' is longer than 2000 characters");
  // 2000 characters of a multi-byte script are within the limit.
  std::string long_note;
  for (int i = 0; i < 2000; ++i) long_note += "é";
  EXPECT_EQ(Patch(path, json({{"note", long_note}}).dump())->status, 200);
  EXPECT_TRUE(storage::LoadIncidentStatuses(dir_.File("data")).size() == 1);
}

TEST_F(ApiTest, RcaAndRecommendationsAre501UntilTheirStagesRun) {
  RemoveRcaAndRecommendations(dir_.File("data"));
  Start();
  const std::string id = Body(Client().Get("/api/incidents"))["incidents"][0]["id"];
  ExpectError(Client().Get(("/api/incidents/" + id + "/rca").c_str()), 501, "not_implemented",
              "root-cause analysis for " + id + ": the rca stage has not produced it");
  ExpectError(Client().Get(("/api/incidents/" + id + "/recommendations").c_str()), 501,
              "not_implemented",
              "recommendations for " + id + ": the recommendations stage has not produced");
  ExpectError(Post("/api/incidents/" + id + "/whatif", R"({"template":"batching_cap"})"), 501,
              "not_implemented", "what-if for " + id);
  ExpectError(Post("/api/incidents/" + id + "/experiment-plan", R"({"recommendation_id":"R"})"),
              501, "not_implemented", "an experiment plan for " + id);
}

TEST_F(ApiTest, RcaAndRecommendationsAreServedWhenStored) {
  AddRcaAndRecommendations(dir_.File("data"));
  Start();
  const std::string id = Body(Client().Get("/api/incidents"))["incidents"][0]["id"];
  const auto rca = Body(Client().Get(("/api/incidents/" + id + "/rca").c_str()));
  EXPECT_EQ(rca["incident_id"], id);
  EXPECT_EQ(rca["causes"][0]["cause"], "batching_expansion");
  EXPECT_EQ(rca["narrative"], "Batching grew.");
  const auto recommendations =
      Body(Client().Get(("/api/incidents/" + id + "/recommendations").c_str()));
  EXPECT_EQ(recommendations["incident_id"], id);
  EXPECT_EQ(recommendations["recommendations"][0]["template"], "batching_cap");
  EXPECT_TRUE(recommendations["tradeoffs"].is_array());
  EXPECT_TRUE(recommendations.contains("efficiency_baseline"));
}

// Moves the first two incidents of the stored analysis to `unconfirmed`, as step 10 of
// docs/incidents.md leaves them, with known starts and causes: the first starts 2026-06-10 and
// has two causes under the threshold, the second starts 2026-06-20, is open and has no RCA.
// Returns their ids in that order.
std::vector<std::string> MoveTwoToUnconfirmed(const std::string& data_dir) {
  std::vector<std::string> ids;
  RewriteStoredAnalysis(data_dir, [&ids](json& analysis) {
    auto& incidents = analysis["incidents"];
    ASSERT_GE(incidents.size(), 2u);
    json first = incidents[0];
    json second = incidents[1];
    incidents.erase(incidents.begin(), incidents.begin() + 2);
    first["start_date"] = "2026-06-10";
    first["end_date"] = "2026-06-14";
    first["severity"] = "medium";
    first["rca"] = {{"causes",
                     {{{"cause", "decoy_change"}, {"label", "Decoy"}, {"confidence", 0.05}},
                      {{"cause", "batching_expansion"},
                       {"label", "Batching expansion"},
                       {"confidence", 0.12}}}},
                    {"narrative", ""}};
    first.erase("recommendations");
    second["start_date"] = "2026-06-20";
    second["end_date"] = nullptr;
    second["severity"] = "low";
    second.erase("rca");
    second.erase("recommendations");
    analysis["unconfirmed"] = json::array({first, second});
    ids = {first["id"].get<std::string>(), second["id"].get<std::string>()};
  });
  return ids;
}

TEST_F(ApiTest, UnconfirmedListsTheIncidentsNoCauseExplainsNewestFirst) {
  const json stored = Body(Client().Get("/api/incidents"));
  const auto ids = MoveTwoToUnconfirmed(dir_.File("data"));
  ASSERT_EQ(ids.size(), 2u);
  Start();
  const auto result = Client().Get("/api/unconfirmed");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  const json body = Body(result);
  // The threshold comes from the analysis file, where `analyze` recorded the default.
  EXPECT_EQ(body["min_confidence"], 0.2);
  EXPECT_EQ(body["total"], 2);
  const auto& rows = body["unconfirmed"];
  ASSERT_EQ(rows.size(), 2u);
  // Newest start first.
  EXPECT_EQ(rows[0]["id"], ids[1]);
  EXPECT_EQ(rows[1]["id"], ids[0]);
  for (const auto& row : rows) {
    for (const char* field :
         {"id", "metric", "detected_by", "start_date", "end_date", "severity", "baseline",
          "current", "delta", "z", "slice", "slice_text", "top_slice", "top_cause", "reason"}) {
      EXPECT_TRUE(row.contains(field)) << field << " in " << row;
    }
    EXPECT_EQ(row["reason"], "no cause reaches confidence 0.2");
    EXPECT_TRUE(row["z"].is_number()) << row;
    // slices[0] of the file, and the slice it names.
    ASSERT_TRUE(row["top_slice"].is_object()) << row;
    EXPECT_EQ(Slice::FromJson(row["top_slice"]["slice"]).ToText(), row["slice_text"]);
  }
  EXPECT_EQ(rows[0]["start_date"], "2026-06-20");
  EXPECT_TRUE(rows[0]["end_date"].is_null());
  EXPECT_EQ(rows[0]["severity"], "low");
  EXPECT_TRUE(rows[0]["top_cause"].is_null()) << rows[0];
  EXPECT_EQ(rows[1]["end_date"], "2026-06-14");
  // The most confident of the causes, though the RCA listed another first.
  EXPECT_EQ(rows[1]["top_cause"], (json{{"cause", "batching_expansion"},
                                        {"label", "Batching expansion"},
                                        {"confidence", 0.12}}));

  // They are no longer incidents: not listed, and every incident route says where they are.
  const json incidents = Body(Client().Get("/api/incidents"));
  EXPECT_EQ(incidents["total"].get<size_t>(), stored["total"].get<size_t>() - 2);
  for (const auto& row : incidents["incidents"]) {
    EXPECT_NE(row["id"], ids[0]);
    EXPECT_NE(row["id"], ids[1]);
  }
  const std::string message = ids[0] +
                              " is unconfirmed: the CX Score fell but no cause explains "
                              "it, so it is not alerted and not served as an incident; "
                              "GET /api/unconfirmed lists it";
  const auto detail = Client().Get(("/api/incidents/" + ids[0]).c_str());
  ExpectError(detail, 404, "not_found", message);
  EXPECT_EQ(Body(detail)["error"]["details"], (json{{"id", ids[0]}, {"unconfirmed", true}}));
  ExpectError(Client().Get(("/api/incidents/" + ids[0] + "/rca").c_str()), 404, "not_found",
              message);
  ExpectError(Patch("/api/incidents/" + ids[1], R"({"status":"resolved"})"), 404, "not_found",
              ids[1] + " is unconfirmed");

  ExpectError(Client().Get("/api/unconfirmed?limit=5"), 400, "invalid_input", "limit");
}

TEST_F(ApiTest, UnconfirmedIsEmptyForAnAnalysisStoredBeforeTheList) {
  RewriteStoredAnalysis(dir_.File("data"), [](json& analysis) {
    analysis.erase("unconfirmed");
    analysis.erase("unconfirmed_min_confidence");
  });
  Start();
  const auto result = Client().Get("/api/unconfirmed");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  EXPECT_EQ(Body(result),
            (json{{"unconfirmed", json::array()}, {"total", 0}, {"min_confidence", nullptr}}));
}

TEST_F(ApiTest, UnconfirmedWithoutARecordedThresholdNamesTheSetting) {
  MoveTwoToUnconfirmed(dir_.File("data"));
  RewriteStoredAnalysis(dir_.File("data"),
                        [](json& analysis) { analysis.erase("unconfirmed_min_confidence"); });
  Start();
  const json body = Body(Client().Get("/api/unconfirmed"));
  EXPECT_TRUE(body["min_confidence"].is_null()) << body;
  ASSERT_EQ(body["unconfirmed"].size(), 2u) << body;
  EXPECT_EQ(body["unconfirmed"][0]["reason"], "no cause reaches the analysis's rca.min_confidence");
}

TEST_F(ApiTest, HealthSaysWhatTheDataSupports) {
  const json data = Body(Client().Get("/api/health"))["data"];
  // The generated world has every table: nothing unavailable, the whole CX Score.
  EXPECT_EQ(data["unavailable"], json::array());
  EXPECT_EQ(data["cx_score"]["components"].size(), 6u);
  EXPECT_FALSE(data["dimensions"].empty());
  const auto rca = Body(Client().Get(
      ("/api/incidents/" +
       Body(Client().Get("/api/incidents"))["incidents"][0]["id"].get<std::string>() + "/rca")
          .c_str()));
  EXPECT_EQ(rca["not_testable"], json::array());
}

TEST_F(ApiTest, WhatTheDataCannotSupportIsServedAsNotAvailable) {
  const json unavailable = {
      {{"kind", "metric"}, {"name", "avg_rating"}, {"needs", {"ratings.rating"}}},
      {{"kind", "cause"},
       {"name", "inventory_feed_outage"},
       {"needs", {"inventory.feed_lag_hours"}}}};
  const json not_testable = {{{"cause", "inventory_feed_outage"},
                              {"label", "Inventory feed outage"},
                              {"needs", {"inventory.feed_lag_hours"}}}};
  RewriteStoredAnalysis(dir_.File("data"), [&](json& analysis) {
    analysis["data"]["unavailable"] = unavailable;
    for (auto& incident : analysis["incidents"]) incident["rca"]["not_testable"] = not_testable;
  });
  Start();
  EXPECT_EQ(Body(Client().Get("/api/health"))["data"]["unavailable"], unavailable);
  const std::string id = Body(Client().Get("/api/incidents"))["incidents"][0]["id"];
  const json detail = Body(Client().Get(("/api/incidents/" + id).c_str()));
  bool seen = false;
  for (const auto& entry : detail["breakdown"]) {
    if (entry["metric"] == "avg_rating") {
      seen = true;
      EXPECT_EQ(entry["needs"], json::array({"ratings.rating"}));
      EXPECT_TRUE(entry["baseline"].is_null());
      EXPECT_TRUE(entry["series"].empty());
    } else {
      EXPECT_EQ(entry["needs"], json::array()) << entry["metric"];
    }
  }
  EXPECT_TRUE(seen);
  EXPECT_EQ(Body(Client().Get(("/api/incidents/" + id + "/rca").c_str()))["not_testable"],
            not_testable);
}

TEST_F(ApiTest, WhatIfWithoutASimulatorIs501) {
  AddRcaAndRecommendations(dir_.File("data"));
  Start();
  const std::string id = Body(Client().Get("/api/incidents"))["incidents"][0]["id"];
  ExpectError(Post("/api/incidents/" + id + "/whatif",
                   R"({"template":"batching_cap","params":{"max_batch":2}})"),
              501, "not_implemented", "what-if simulation is not available");
}

TEST_F(ApiTest, WhatIfRejectsMalformedBodies) {
  AddRcaAndRecommendations(dir_.File("data"));
  Start(std::make_shared<CountingSimulator>());
  const std::string path =
      "/api/incidents/" +
      Body(Client().Get("/api/incidents"))["incidents"][0]["id"].get<std::string>() + "/whatif";
  ExpectError(Post(path, R"({})"), 400, "invalid_input", "'template' is required");
  ExpectError(Post(path, R"({"template":7})"), 400, "invalid_input",
              "'template' must be a string, got number");
  ExpectError(Post(path, R"({"template":"batching_cap","params":[1]})"), 400, "invalid_input",
              "'params' must be an object, got array");
  ExpectError(Post(path, R"({"template":"batching_cap","params":{"max_batch":{"a":1}}})"), 400,
              "invalid_input", "params.max_batch must be a number, string or boolean, got object");
  ExpectError(Post(path, R"({"template":"batching_cap","extra":1})"), 400, "invalid_input",
              "unknown field 'extra'; allowed: template, params");
  ExpectError(Post(path, R"({"template":"surge_pricing"})"), 400, "invalid_input",
              "template 'surge_pricing' does not apply to");
  ExpectError(Post(path, R"({"template":"batching_cap","params":{"radius_km":3}})"), 400,
              "invalid_input",
              "unknown parameter 'radius_km' for template 'batching_cap'; allowed: max_batch");
  const auto bad = Post(path, R"({"template":"batching_cap","params":{"max_batch":null}})");
  ExpectError(bad, 400, "invalid_input", "params.max_batch must be a number");
  EXPECT_EQ(Body(bad)["error"]["details"]["parameter"], "params.max_batch");
}

TEST_F(ApiTest, ConcurrentFirstWhatIfsComputeOnceAndEqualParamsShareTheResult) {
  AddRcaAndRecommendations(dir_.File("data"));
  auto simulator = std::make_shared<CountingSimulator>();
  Start(simulator);
  const std::string path =
      "/api/incidents/" +
      Body(Client().Get("/api/incidents"))["incidents"][0]["id"].get<std::string>() + "/whatif";
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 16; ++i) {
    clients.emplace_back([&, i] {
      // 2 and 2.0 are the same parameters.
      const auto body = i % 2 == 0 ? R"({"template":"batching_cap","params":{"max_batch":2}})"
                                   : R"({"template":"batching_cap","params":{"max_batch":2.0}})";
      const auto result = Post(path, body);
      if (!result) {
        ADD_FAILURE() << "request failed: " << httplib::to_string(result.error());
      } else if (result->status == 200 &&
                 Body(result)["expected_cx_delta"]["mean"].get<double>() == 2.5) {
        ++ok;
      } else {
        ADD_FAILURE() << result->status << " " << result->body;
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(ok, 16);
  EXPECT_EQ(simulator->what_ifs, 1);
  ASSERT_EQ(Post(path, R"({"template":"batching_cap","params":{"max_batch":3}})")->status, 200);
  EXPECT_EQ(simulator->what_ifs, 2);
}

TEST_F(ApiTest, ExperimentPlanIsAMarkdownAttachment) {
  AddRcaAndRecommendations(dir_.File("data"));
  Start(std::make_shared<CountingSimulator>());
  const std::string id = Body(Client().Get("/api/incidents"))["incidents"][0]["id"];
  const std::string rec = "REC-" + id.substr(4) + "-1";
  const std::string path = "/api/incidents/" + id + "/experiment-plan";
  const auto result = Post(path, json({{"recommendation_id", rec}}).dump());
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  EXPECT_EQ(result->get_header_value("Content-Type"), "text/markdown; charset=utf-8");
  EXPECT_EQ(result->get_header_value("Content-Disposition"),
            "attachment; filename=\"" + id + "-" + rec + "-plan.md\"");
  EXPECT_EQ(result->body, "# Plan for " + id + " / " + rec + "\n");
  const auto missing = Post(path, R"({"recommendation_id":"REC-9"})");
  ExpectError(missing, 404, "not_found",
              id + " has no recommendation 'REC-9'; its recommendations: " + rec);
  EXPECT_EQ(Body(missing)["error"]["details"]["parameter"], "recommendation_id");
  ExpectError(Post(path, R"({})"), 400, "invalid_input", "'recommendation_id' is required");
  ExpectError(Post(path, R"({"recommendation_id":1})"), 400, "invalid_input",
              "'recommendation_id' must be a string");
  ExpectError(Post(path, R"({"recommendation":"x"})"), 400, "invalid_input",
              "unknown field 'recommendation'; allowed: recommendation_id");
}

TEST_F(ApiTest, CxScoreSeriesOfTheMarketplaceAndOfACohort) {
  const auto first = Client().Get("/api/metrics/cx-score");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->get_header_value("X-Cache"), "miss");
  const auto again = Client().Get("/api/metrics/cx-score");
  EXPECT_EQ(again->get_header_value("X-Cache"), "hit");
  EXPECT_EQ(again->body, first->body);
  const auto all = Body(first);
  EXPECT_EQ(all["cohort"], json::object());
  EXPECT_EQ(all["cohort_text"], "all");
  ASSERT_EQ(all["series"].size(), 30u);
  EXPECT_EQ(all["series"][0]["date"], "2026-06-01");
  EXPECT_GT(all["series"][0]["orders"].get<int>(), 300);
  EXPECT_GT(all["series"][0]["cx_score"].get<double>(), 50);
  EXPECT_GE(all["incidents"].size(), 2u);

  const auto seattle = Body(Client().Get(
      "/api/metrics/cx-score?cohort=region%3Dseattle&start_date=2026-06-10&end_date=2026-06-19"));
  EXPECT_EQ(seattle["cohort"], json({{"region", "seattle"}}));
  ASSERT_EQ(seattle["series"].size(), 10u);
  EXPECT_EQ(seattle["series"][9]["date"], "2026-06-19");
  EXPECT_LT(seattle["series"][0]["orders"].get<int>(), all["series"][9]["orders"].get<int>());
  for (const auto& incident : seattle["incidents"]) {
    EXPECT_LE(incident["start_date"].get<std::string>(), "2026-06-19");
  }
}

TEST_F(ApiTest, CxScoreRejectsMalformedCohortsAndDates) {
  ExpectError(Client().Get("/api/metrics/cx-score?cohort=planet%3Dmars"), 400, "invalid_input",
              "cohort: unknown dimension 'planet'; allowed: customer_segment, daypart");
  ExpectError(Client().Get("/api/metrics/cx-score?cohort=region%3Dmars"), 400, "invalid_input",
              "cohort: unknown value 'mars' for region; allowed: ");
  ExpectError(Client().Get("/api/metrics/cx-score?cohort=region"), 400, "invalid_input",
              "cohort: slice 'region': pair 'region' has no '='");
  ExpectError(Client().Get("/api/metrics/cx-score?start_date=yesterday"), 400, "invalid_input",
              "start_date: 'yesterday' is not a date");
  ExpectError(Client().Get("/api/metrics/cx-score?start_date=2026-06-10&end_date=2026-06-01"), 400,
              "invalid_input", "start_date 2026-06-10 is after end_date 2026-06-01");
  ExpectError(Client().Get("/api/metrics/cx-score?segment=new"), 400, "invalid_input",
              "unknown query parameter 'segment'; allowed: start_date, end_date, cohort");
}

TEST_F(ApiTest, ACohortWithoutAStoredSeriesIs404) {
  const auto cohorts = Body(Client().Get("/api/metrics/cohorts"))["dimensions"];
  ASSERT_GE(cohorts.size(), 4u);
  std::string cohort;
  for (size_t i = 0; i < 4; ++i) {
    cohort += (i == 0 ? "" : "%26") + cohorts[i]["name"].get<std::string>() + "%3D" +
              cohorts[i]["values"][0].get<std::string>();
  }
  ExpectError(Client().Get(("/api/metrics/cx-score?cohort=" + cohort).c_str()), 404, "not_found",
              "has no stored series");
}

TEST_F(ApiTest, CohortsListDimensionsAndValuesSorted) {
  const auto dimensions = Body(Client().Get("/api/metrics/cohorts"))["dimensions"];
  ASSERT_EQ(dimensions.size(), 7u);
  std::vector<std::string> names;
  for (const auto& dimension : dimensions) {
    names.push_back(dimension["name"]);
    auto values = dimension["values"].get<std::vector<std::string>>();
    EXPECT_FALSE(values.empty());
    EXPECT_TRUE(std::is_sorted(values.begin(), values.end()));
  }
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(names[5], "region");
  ExpectError(Client().Get("/api/metrics/cohorts?x=1"), 400, "invalid_input",
              "unknown query parameter 'x'; this route takes none");
}

TEST_F(ApiTest, ASecondAnalyzeWhileOneRunsIs409) {
  ASSERT_EQ(Post("/api/analyze", "")->status, 202);
  ExpectError(Post("/api/analyze", ""), 409, "conflict", "an analysis is already running");
  WaitForIdle();
}

TEST_F(ApiTest, ReadersSeeOneSnapshotDuringARefresh) {
  const std::string id = Body(Client().Get("/api/incidents"))["incidents"][0]["id"];
  std::atomic<bool> done{false};
  std::atomic<int> requests{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&] {
      while (!done) {
        const auto list = Client().Get("/api/incidents");
        const auto detail = Client().Get(("/api/incidents/" + id).c_str());
        ++requests;
        if (!list || list->status != 200 || !detail || detail->status != 200) {
          ++failures;
          continue;
        }
        const auto body = Body(list);
        if (body["total"] != body["incidents"].size()) ++failures;
      }
    });
  }
  ASSERT_EQ(Post("/api/analyze", "")->status, 202);
  const json health = WaitForIdle();
  done = true;
  for (auto& reader : readers) reader.join();
  EXPECT_TRUE(health["analysis"]["last_error"].is_null()) << health;
  EXPECT_GT(requests, 4);
  EXPECT_EQ(failures, 0);
}

TEST_F(ApiTest, AFailedRefreshKeepsServingAndReportsTheError) {
  std::filesystem::rename(dir_.Path() / "data" / "orders.parquet",
                          dir_.Path() / "data" / "orders.moved");
  ASSERT_EQ(Post("/api/analyze", "")->status, 202);
  const json health = WaitForIdle();
  EXPECT_NE(health["analysis"]["last_error"]["error"]["message"].get<std::string>().find(
                "has no orders table"),
            std::string::npos)
      << health;
  EXPECT_EQ(Client().Get("/api/incidents")->status, 200);
}

TEST(ApiStartTest, AFolderWithoutResultsIsAnalyzedAtStart) {
  TempDir dir;
  CopyWorld(dir.Path() / "data", /*with_results=*/false);
  ServerOptions options;
  options.data_dir = dir.File("data");
  options.web_root = dir.Path().string();
  RunningServer server(options);
  EXPECT_GE(Body(server.Client().Get("/api/health"))["incidents"].get<int>(), 2);
  EXPECT_TRUE(std::filesystem::exists(storage::ResultsPath(dir.File("data"))));
}

TEST(ApiStartTest, ADamagedStatusFileStopsTheStartNamingIt) {
  TempDir dir;
  CopyWorld(dir.Path() / "data");
  WriteFileAtomic(storage::IncidentStatusPath(dir.File("data")), "{not json");
  ServerOptions options;
  options.data_dir = dir.File("data");
  options.web_root = dir.Path().string();
  const std::string message = ErrorMessage([&] { ApiServer server(options); });
  EXPECT_NE(message.find("incident_status.json: damaged incident status file"), std::string::npos)
      << message;
}

TEST(ApiStartTest, AnUnknownConfigKeyStopsTheStart) {
  TempDir dir;
  ServerOptions options;
  options.data_dir = dir.Path().string();
  options.config_path = dir.Write("cx.yaml", "incidents:\n  min_zz: 3\n");
  const std::string message = ErrorMessage([&] { ApiServer server(options); });
  EXPECT_NE(message.find("incidents.min_zz: unknown key"), std::string::npos) << message;
}

TEST(ApiCacheTest, OnceCacheComputesEachKeyOnceAndRetriesFailures) {
  OnceCache<int> cache;
  std::atomic<int> calls{0};
  std::vector<std::thread> threads;
  std::atomic<int> computed{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      const auto result = cache.Get("k", [&] {
        ++calls;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        return 42;
      });
      EXPECT_EQ(*result.value, 42);
      if (result.computed) ++computed;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(computed, 1);
  EXPECT_THROW(cache.Get("bad", []() -> int { throw std::runtime_error("boom"); }),
               std::runtime_error);
  EXPECT_EQ(*cache.Get("bad", [] { return 7; }).value, 7);
  EXPECT_EQ(cache.Size(), 2u);
}

// The real recommendations stage behind the seam, on the analyzed world: the stored RCA is
// served, a what-if of the first incident's revert action gives an interval around its mean and
// the experiment plan of that recommendation is Markdown with its sections.
TEST_F(ApiTest, WhatIfAndPlansComeFromTheRecommendationsStage) {
  Start(MakeRecommendSimulator(recommend::RecommendConfig{}));
  const std::string id = Body(Client().Get("/api/incidents"))["incidents"][0]["id"];
  const auto rca = Body(Client().Get(("/api/incidents/" + id + "/rca").c_str()));
  ASSERT_FALSE(rca["causes"].empty()) << rca.dump();
  const auto list = Body(Client().Get(("/api/incidents/" + id + "/recommendations").c_str()));
  const json* revert = nullptr;
  for (const auto& rec : list["recommendations"]) {
    if (rec["kind"] == "revert") revert = &rec;
  }
  ASSERT_NE(revert, nullptr) << list.dump();
  const auto result =
      Post("/api/incidents/" + id + "/whatif",
           json({{"template", (*revert)["template"]}, {"params", (*revert)["params"]}}).dump());
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  const json whatif = Body(result);
  const double mean = whatif["expected_cx_delta"]["mean"];
  EXPECT_LE(whatif["expected_cx_delta"]["ci90"][0].get<double>(), mean);
  EXPECT_GE(whatif["expected_cx_delta"]["ci90"][1].get<double>(), mean);
  EXPECT_GT(mean, 0) << "undoing the cause should raise the CX Score: " << whatif.dump();
  const auto plan = Post("/api/incidents/" + id + "/experiment-plan",
                         json({{"recommendation_id", (*revert)["id"]}}).dump());
  ASSERT_EQ(plan->status, 200) << plan->body;
  EXPECT_NE(plan->body.find("## "), std::string::npos) << plan->body;
  EXPECT_NE(plan->body.find("ower"), std::string::npos) << "no power analysis: " << plan->body;
}

}  // namespace
}  // namespace cxagent::server
