#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "common/date.hpp"
#include "server/api_fixture.hpp"
#include "server/request_params.hpp"
#include "storage/incident_feedback.hpp"
#include "storage/incident_status.hpp"
#include "support/test_support.hpp"

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

// `date` moved by `days`.
std::string Shifted(const std::string& date, int days) {
  return FormatDate(AddDays(ParseDate(date, "date"), days));
}

class FeedbackApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CopyWorld(dir_.Path() / "data");
    Start();
  }
  void Start() {
    server_.reset();
    ServerOptions options;
    options.data_dir = dir_.File("data");
    options.web_root = dir_.Path().string();
    server_ = std::make_unique<RunningServer>(options);
  }
  httplib::Client Client() const { return server_->Client(); }
  httplib::Result Put(const std::string& id, const std::string& body) const {
    return Client().Put(("/api/incidents/" + id + "/feedback").c_str(), body, "application/json");
  }
  // The id of the incident in `slice` (the world has one in region=seattle, one in
  // store_type=grocery).
  std::string IdOf(const std::string& slice) const {
    const json list = Body(Client().Get("/api/incidents"));
    for (const auto& row : list["incidents"]) {
      if (row["slice_text"] == slice) return row["id"];
    }
    ADD_FAILURE() << "no incident in " << slice << ": " << list.dump();
    return "";
  }

  TempDir dir_;
  std::unique_ptr<RunningServer> server_;
};

TEST_F(FeedbackApiTest, ALabelIsShownOnTheIncidentAndInTheList) {
  const std::string id = IdOf("region=seattle");
  const auto put = Put(id, R"({"label": "confirmed", "by": "ana", "note": "batching, verified"})");
  ASSERT_TRUE(put);
  ASSERT_EQ(put->status, 200) << put->body;
  const json summary = Body(put);
  EXPECT_EQ(summary["id"], id);
  EXPECT_EQ(summary["feedback"]["label"], "confirmed");
  EXPECT_EQ(summary["feedback"]["by"], "ana");
  EXPECT_EQ(summary["feedback"]["note"], "batching, verified");
  EXPECT_EQ(summary["feedback"]["updated_at"].get<std::string>().size(), 20u);
  EXPECT_EQ(summary["muted"], false);
  EXPECT_TRUE(summary["muted_by"].is_null());
  // The triage status is separate.
  EXPECT_EQ(summary["status"], "open");
  EXPECT_EQ(Body(Client().Get(("/api/incidents/" + id).c_str()))["feedback"]["label"], "confirmed");
  const json list = Body(Client().Get("/api/incidents"));
  for (const auto& row : list["incidents"]) {
    EXPECT_EQ(row["feedback"].is_null(), row["id"] != id) << row;
  }
}

TEST_F(FeedbackApiTest, AFalseAlarmMutesTheIncident) {
  const std::string id = IdOf("region=seattle");
  const json summary = Body(Put(id, R"({"label": "false_alarm", "by": "ana"})"));
  EXPECT_EQ(summary["muted"], true);
  EXPECT_EQ(summary["muted_by"]["label"], "false_alarm");
  EXPECT_EQ(summary["muted_by"]["slice_text"], "region=seattle");
  EXPECT_TRUE(summary["muted_by"]["end_date"].is_null());  // the regression is still open
  EXPECT_EQ(summary["feedback"]["note"], "");
  // The other incident, in another slice, is not muted.
  const json other = Body(Client().Get(("/api/incidents/" + IdOf("store_type=grocery")).c_str()));
  EXPECT_EQ(other["muted"], false);
}

TEST_F(FeedbackApiTest, LabelsSurviveARestartAndAReanalysis) {
  const std::string id = IdOf("store_type=grocery");
  ASSERT_EQ(Put(id, R"({"label": "expected", "by": "bo", "note": "planned outage"})")->status, 200);
  Start();
  EXPECT_EQ(Body(Client().Get(("/api/incidents/" + id).c_str()))["feedback"]["label"], "expected");
  const auto analyze = Client().Post("/api/analyze");
  ASSERT_TRUE(analyze);
  ASSERT_EQ(analyze->status, 202);
  json health;
  for (int i = 0; i < 600; ++i) {
    health = Body(Client().Get("/api/health"));
    if (health["analysis"]["state"] == "idle") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(health["analysis"]["last_error"].is_null()) << health;
  const std::string after = IdOf("store_type=grocery");
  const json summary = Body(Client().Get(("/api/incidents/" + after).c_str()));
  EXPECT_EQ(summary["feedback"]["label"], "expected");
  EXPECT_EQ(summary["feedback"]["note"], "planned outage");
  // The grocery outage ended: the label's window ends with it.
  EXPECT_EQ(summary["muted_by"]["end_date"], summary["end_date"]);
}

TEST_F(FeedbackApiTest, RelabellingReplacesAndDeleteRemoves) {
  const std::string id = IdOf("region=seattle");
  ASSERT_EQ(Put(id, R"({"label": "false_alarm", "by": "ana"})")->status, 200);
  const json relabelled = Body(Put(id, R"({"label": "duplicate", "by": "bo", "note": "of X"})"));
  EXPECT_EQ(relabelled["feedback"]["label"], "duplicate");
  EXPECT_EQ(relabelled["muted"], false);
  EXPECT_EQ(Body(Client().Get("/api/feedback"))["labelled"], 1);
  const auto removed = Client().Delete(("/api/incidents/" + id + "/feedback").c_str());
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->status, 200);
  EXPECT_TRUE(Body(removed)["feedback"].is_null());
  ExpectError(Client().Delete(("/api/incidents/" + id + "/feedback").c_str()), 404, "not_found",
              id + " has no feedback label");
  EXPECT_TRUE(storage::LoadIncidentFeedback(dir_.File("data")).empty());
}

TEST_F(FeedbackApiTest, CountsGiveThePrecisionTheTeamSees) {
  const json empty = Body(Client().Get("/api/feedback"));
  EXPECT_EQ(empty["labelled"], 0);
  EXPECT_TRUE(empty["precision"].is_null());
  EXPECT_EQ(empty["counts"],
            json({{"confirmed", 0}, {"false_alarm", 0}, {"expected", 0}, {"duplicate", 0}}));
  const std::string seattle = IdOf("region=seattle");
  ASSERT_EQ(Put(seattle, R"({"label": "confirmed", "by": "ana"})")->status, 200);
  ASSERT_EQ(Put(IdOf("store_type=grocery"), R"({"label": "false_alarm", "by": "ana"})")->status,
            200);
  const json counts = Body(Client().Get("/api/feedback"));
  EXPECT_EQ(counts["counts"]["confirmed"], 1);
  EXPECT_EQ(counts["counts"]["false_alarm"], 1);
  EXPECT_EQ(counts["labelled"], 2);
  EXPECT_EQ(counts["precision"], 0.5);
  EXPECT_EQ(counts["detection_precision"], 0.5);
  const size_t incidents = Body(Client().Get("/api/incidents"))["total"];
  EXPECT_EQ(counts["unlabelled"], incidents - 2);
  ASSERT_EQ(counts["labels"].size(), 2u);
  bool found = false;
  for (const auto& label : counts["labels"]) {
    if (label["label"] == "confirmed") {
      found = true;
      EXPECT_EQ(label["incident_id"], seattle);
      EXPECT_EQ(label["mutes"], false);
    }
  }
  EXPECT_TRUE(found);
}

// Two incidents of one metric and slice four days apart, the later one listed first: X, the
// world's seattle incident (start S, ended S+6), and INC-0100 (start S+4, ended S+9). An open
// `confirmed` label is saved in that slice for each of S+1 (nearer X), S+2 (two days from both)
// and S+3 (nearer INC-0100), then the server restarts, which brings the labels' windows up to
// date. Listing INC-0100 first is what a first-match, or a first-in-order tie, gets wrong.
class TwoIncidentsOfASliceTest : public FeedbackApiTest {
 protected:
  void SetUp() override {
    FeedbackApiTest::SetUp();
    x_ = IdOf("region=seattle");
    const json row = Body(Client().Get(("/api/incidents/" + x_).c_str()));
    metric_ = row["metric"];
    start_ = row["start_date"];
    server_.reset();
    RewriteStoredAnalysis(dir_.File("data"), [&](json& analysis) {
      json& incidents = analysis["incidents"];
      for (auto& incident : incidents) {
        if (incident["id"] != x_) continue;
        incident["end_date"] = Day(6);
        json later = incident;
        later["id"] = "INC-0100";
        later["start_date"] = Day(4);
        later["end_date"] = Day(9);
        incidents.insert(incidents.begin(), later);
        break;
      }
    });
    storage::IncidentFeedbacks labels;
    for (const int days : {1, 2, 3}) {
      labels[storage::IncidentIdentity(metric_, "region=seattle", Day(days))] = {
          .label = "confirmed",
          .by = "ana",
          .metric = metric_,
          .slice_text = "region=seattle",
          .start_date = Day(days)};
    }
    storage::SaveIncidentFeedback(dir_.File("data"), labels);
    Start();
  }
  // S moved by `days`.
  std::string Day(int days) const { return Shifted(start_, days); }
  // The label of GET /api/feedback that starts on `start_date`.
  json LabelStarting(const std::string& start_date) const {
    const json feedback = Body(Client().Get("/api/feedback"));
    for (const auto& label : feedback["labels"]) {
      if (label["start_date"] == start_date) return label;
    }
    ADD_FAILURE() << "no label starting " << start_date;
    return json();
  }

  std::string x_;
  std::string metric_;
  std::string start_;
};

TEST_F(TwoIncidentsOfASliceTest, FeedbackNamesTheNearestIncidentAndTheEarlierStartOnATie) {
  EXPECT_EQ(LabelStarting(Day(1))["incident_id"], x_);
  EXPECT_EQ(LabelStarting(Day(3))["incident_id"], "INC-0100");
  EXPECT_EQ(LabelStarting(Day(2))["incident_id"], x_);
  // The incident a link with the label's identity resolves to.
  const auto resolved =
      Client().Get(httplib::append_query_params(
                       "/api/incidents/resolve",
                       {{"metric", metric_}, {"slice", "region=seattle"}, {"start", Day(2)}})
                       .c_str());
  ASSERT_TRUE(resolved);
  EXPECT_EQ(Body(resolved)["id"], x_);
}

TEST_F(TwoIncidentsOfASliceTest, ALabelsWindowFollowsTheNearestIncidentAndTheEarlierOnATie) {
  std::map<std::string, std::string> ends;  // saved window end by label start
  for (const auto& [identity, label] : storage::LoadIncidentFeedback(dir_.File("data"))) {
    ends[label.start_date] = label.end_date;
  }
  ASSERT_EQ(ends.size(), 3u);
  EXPECT_EQ(ends[Day(1)], Day(6));  // X's end
  EXPECT_EQ(ends[Day(3)], Day(9));  // INC-0100's
  EXPECT_EQ(ends[Day(2)], Day(6));  // X's: the earlier start
  EXPECT_EQ(LabelStarting(Day(2))["end_date"], Day(6));
}

TEST_F(FeedbackApiTest, BadInputIsA4xxNamingWhatIsWrong) {
  const std::string id = IdOf("region=seattle");
  ExpectError(Put(id, R"({"label": "maybe", "by": "ana"})"), 400, "invalid_input",
              "body: label 'maybe' is not allowed; allowed: confirmed, false_alarm, expected, "
              "duplicate");
  ExpectError(Put(id, R"({"by": "ana"})"), 400, "invalid_input", "body: 'label' is required");
  ExpectError(Put(id, R"({"label": "confirmed"})"), 400, "invalid_input",
              "body: 'by' is required (who labels the incident)");
  ExpectError(Put(id, R"({"label": "confirmed", "by": "  "})"), 400, "invalid_input",
              "body: 'by' is required");
  ExpectError(Put(id, R"({"label": "confirmed", "by": "ana", "status": "x"})"), 400,
              "invalid_input", "body: unknown field 'status'; allowed: label, by, note");
  ExpectError(Put(id, R"({"label": 3, "by": "ana"})"), 400, "invalid_input",
              "body: 'label' must be a string, got number");
  ExpectError(Put(id, "{not json"), 400, "invalid_input", "body: not valid JSON");
  ExpectError(Put(id, std::string(R"({"label": "confirmed", "by": "ana", "note": ")") +
                          std::string(2001, 'x') + "\"}"),
              400, "invalid_input", "body: 'note' is longer than 2000 characters");
  ExpectError(Put("INC-9999", R"({"label": "confirmed", "by": "ana"})"), 404, "not_found",
              "INC-9999");
  ExpectError(
      Client().Delete(("/api/incidents/" + id + "/feedback").c_str(), "{}", "application/json"),
      400, "invalid_input", "takes no body");
  ExpectError(Client().Get("/api/feedback?x=1"), 400, "invalid_input", "x");
  EXPECT_TRUE(storage::LoadIncidentFeedback(dir_.File("data")).empty());
}

TEST(FeedbackBodyTest, ParsesTheLabelWhoAndNote) {
  const FeedbackBody body = ParseFeedbackBody(R"({"label": "expected", "by": "bo"})");
  EXPECT_EQ(body.label, "expected");
  EXPECT_EQ(body.by, "bo");
  EXPECT_EQ(body.note, "");
  EXPECT_EQ(ErrorMessage([] { ParseFeedbackBody("[]"); }),
            "body: expected a JSON object, got array");
}

}  // namespace
}  // namespace cxagent::server
