#include "notify/events.hpp"

#include <gtest/gtest.h>

namespace cxagent::notify {
namespace {

using nlohmann::json;

IncidentFacts Incident(const std::string& id, const std::string& slice, const std::string& start,
                       const std::string& end, const std::string& severity,
                       const std::string& metric = "cx_score") {
  IncidentFacts facts;
  facts.id = id;
  facts.metric = metric;
  facts.slice_text = slice;
  facts.slice = {{"region", slice.substr(slice.find('=') + 1)}};
  facts.start_date = start;
  facts.end_date = end;
  facts.severity = severity;
  facts.document = {
      {"id", id},
      {"baseline", 86.2},
      {"current", 80.9},
      {"delta", -5.3},
      {"rca",
       {{"causes",
         {{{"cause", "batching_expansion"}, {"label", "Batching expansion"}, {"confidence", 0.91}},
          {{"cause", "weather"}, {"label", "Weather"}, {"confidence", 0.2}}}}}},
      {"recommendations",
       {{{"id", id + "-R1"},
         {"kind", "revert"},
         {"action", "Cap batching at 1 order in " + slice},
         {"expected_cx_delta", {{"mean", 5.1}, {"ci90", {4.2, 6.0}}}}}}}};
  return facts;
}

KnownIncident Known(const std::string& slice, const std::string& start, const std::string& end,
                    const std::string& severity, const std::string& metric = "cx_score") {
  return {.metric = metric,
          .slice_text = slice,
          .start_date = start,
          .end_date = end,
          .severity = severity};
}

TEST(DiffIncidentsTest, ANewOpenIncidentIsOpened) {
  const auto changes =
      DiffIncidents({}, {Incident("INC-0001", "region=seattle", "2026-07-31", "", "high")}, 3);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind, EventKind::OPENED);
  EXPECT_EQ(changes[0].incident, 0u);
}

TEST(DiffIncidentsTest, TheSameIncidentAgainIsNoEventEvenWithItsStartMovedWithinTolerance) {
  const std::vector<KnownIncident> known = {Known("region=seattle", "2026-07-31", "", "high")};
  EXPECT_TRUE(
      DiffIncidents(known, {Incident("INC-0002", "region=seattle", "2026-07-31", "", "high")}, 3)
          .empty());
  EXPECT_TRUE(
      DiffIncidents(known, {Incident("INC-0001", "region=seattle", "2026-08-02", "", "high")}, 3)
          .empty());
  // Four days away is another regression of the slice.
  const auto later =
      DiffIncidents(known, {Incident("INC-0001", "region=seattle", "2026-08-04", "", "high")}, 3);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].kind, EventKind::OPENED);
}

TEST(DiffIncidentsTest, AnotherMetricOrSliceIsAnotherIncident) {
  const std::vector<KnownIncident> known = {Known("region=seattle", "2026-07-31", "", "high")};
  EXPECT_EQ(
      DiffIncidents(
          known, {Incident("INC-0001", "region=seattle", "2026-07-31", "", "high", "late_rate")}, 3)
          .size(),
      1u);
  EXPECT_EQ(
      DiffIncidents(known, {Incident("INC-0001", "region=austin", "2026-07-31", "", "high")}, 3)
          .size(),
      1u);
}

TEST(DiffIncidentsTest, AHigherSeverityOfAnOpenIncidentIsRaised) {
  const std::vector<KnownIncident> known = {Known("region=seattle", "2026-07-31", "", "low")};
  const auto changes =
      DiffIncidents(known, {Incident("INC-0001", "region=seattle", "2026-07-31", "", "high")}, 3);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind, EventKind::SEVERITY_RAISED);
  EXPECT_EQ(changes[0].previous_severity, "low");
  // A lower severity is no event.
  EXPECT_TRUE(DiffIncidents({Known("region=seattle", "2026-07-31", "", "high")},
                            {Incident("INC-0001", "region=seattle", "2026-07-31", "", "medium")}, 3)
                  .empty());
}

TEST(DiffIncidentsTest, AnOpenIncidentThatEndsIsResolved) {
  const std::vector<KnownIncident> known = {Known("region=seattle", "2026-07-31", "", "high")};
  const auto changes = DiffIncidents(
      known, {Incident("INC-0001", "region=seattle", "2026-07-31", "2026-08-09", "high")}, 3);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind, EventKind::RESOLVED);
  // Already ended before: no event again.
  EXPECT_TRUE(
      DiffIncidents({Known("region=seattle", "2026-07-31", "2026-08-09", "high")},
                    {Incident("INC-0001", "region=seattle", "2026-07-31", "2026-08-09", "high")}, 3)
          .empty());
}

TEST(DiffIncidentsTest, NewHistoryAndVanishedIncidentsMakeNoEvent) {
  // An incident that is new but already ended is history the previous analysis did not flag.
  EXPECT_TRUE(
      DiffIncidents({},
                    {Incident("INC-0001", "region=seattle", "2026-06-10", "2026-06-20", "high")}, 3)
          .empty());
  EXPECT_TRUE(DiffIncidents({Known("region=seattle", "2026-07-31", "", "high")}, {}, 3).empty());
}

TEST(DiffIncidentsTest, EachKnownIncidentMatchesOneCurrentOneTheExactFirst) {
  // Two current incidents a day apart and one known: the exact start keeps the record, the other
  // is new.
  const std::vector<KnownIncident> known = {Known("region=seattle", "2026-07-31", "", "high")};
  const auto changes =
      DiffIncidents(known,
                    {Incident("INC-0001", "region=seattle", "2026-07-30", "", "high"),
                     Incident("INC-0002", "region=seattle", "2026-07-31", "", "high")},
                    3);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind, EventKind::OPENED);
  EXPECT_EQ(changes[0].incident, 0u);
}

TEST(EventPayloadTest, CarriesIdSliceChangeTopCauseTopActionAndLink) {
  const IncidentFacts incident = Incident("INC-0003", "region=seattle", "2026-07-31", "", "high");
  const IncidentChange change{.kind = EventKind::OPENED, .incident = 0};
  const json payload =
      EventPayload(change, incident, "https://cx.example.com", "2026-08-30T06:00:00Z");
  EXPECT_EQ(payload["event_id"], "incident_opened|cx_score|region=seattle|2026-07-31");
  EXPECT_EQ(payload["event"], "incident_opened");
  EXPECT_EQ(payload["incident"]["id"], "INC-0003");
  EXPECT_EQ(payload["incident"]["slice_text"], "region=seattle");
  EXPECT_EQ(payload["incident"]["slice"], json({{"region", "seattle"}}));
  EXPECT_EQ(payload["incident"]["end_date"], nullptr);
  EXPECT_EQ(payload["cx_change"]["delta"], -5.3);
  EXPECT_EQ(payload["top_cause"]["cause"], "batching_expansion");
  EXPECT_EQ(payload["top_cause"]["confidence"], 0.91);
  EXPECT_EQ(payload["top_action"]["action"], "Cap batching at 1 order in region=seattle");
  EXPECT_EQ(payload["top_action"]["expected_cx_delta"]["mean"], 5.1);
  EXPECT_EQ(payload["link"],
            "https://cx.example.com/incidents/"
            "INC-0003?metric=cx_score&slice=region%3Dseattle&start=2026-07-31");
  EXPECT_EQ(payload["summary"],
            "Incident INC-0003 opened in region=seattle: cx_score 86.2 -> 80.9 (-5.3), severity "
            "high, since 2026-07-31");
}

// The link names the incident by what survives a re-analysis (metric, slice, start) beside its
// rank, encoded so that the slice's own '=' and '&' stay inside the parameter.
TEST(EventPayloadTest, LinkCarriesTheIncidentsIdentityEncoded) {
  IncidentFacts incident =
      Incident("INC-0012", "region=new york&store_type=grocery", "2026-08-02", "", "medium");
  incident.metric = "on_time_rate";
  EXPECT_EQ(
      IncidentLink("http://cx:8080", incident),
      "http://cx:8080/incidents/INC-0012?metric=on_time_rate&slice=region%3Dnew%20york%26store_"
      "type%3Dgrocery&start=2026-08-02");
}

TEST(EventPayloadTest, WithoutRcaTheCauseAndActionAreNull) {
  IncidentFacts incident = Incident("INC-0001", "region=seattle", "2026-07-31", "", "high");
  incident.document.erase("rca");
  incident.document.erase("recommendations");
  const json payload = EventPayload({.kind = EventKind::OPENED}, incident, "http://cx", "t");
  EXPECT_TRUE(payload["top_cause"].is_null());
  EXPECT_TRUE(payload["top_action"].is_null());
  EXPECT_NE(SlackMessage(payload).dump().find("not analysed"), std::string::npos);
}

TEST(EventIdTest, SeverityRaisedIncludesTheNewSeveritySoEachStepIsAnEvent) {
  const IncidentFacts incident = Incident("INC-0001", "region=seattle", "2026-07-31", "", "high");
  EXPECT_EQ(EventId({.kind = EventKind::SEVERITY_RAISED, .previous_severity = "low"}, incident),
            "severity_raised|high|cx_score|region=seattle|2026-07-31");
  EXPECT_EQ(EventId({.kind = EventKind::RESOLVED}, incident),
            "incident_resolved|cx_score|region=seattle|2026-07-31");
}

TEST(SlackMessageTest, BlocksHoldSliceChangeCauseActionAndLink) {
  const IncidentFacts incident = Incident("INC-0003", "region=seattle", "2026-07-31", "", "high");
  const json message =
      SlackMessage(EventPayload({.kind = EventKind::SEVERITY_RAISED, .previous_severity = "medium"},
                                incident, "https://cx.example.com", "t"));
  ASSERT_TRUE(message["blocks"].is_array());
  const std::string text = message.dump();
  for (const char* part :
       {"CX incident severity raised: INC-0003", "region=seattle", "cx_score 86.2 → 80.9 (-5.3)",
        "medium → high", "Batching expansion (confidence 0.91)",
        "Cap batching at 1 order in region=seattle: expected CX +5.1 (90%: +4.2 to +6.0)",
        "https://cx.example.com/incidents/INC-0003"}) {
    EXPECT_NE(text.find(part), std::string::npos) << part << "\n" << message.dump(2);
  }
  // The button's url is plain; in the fallback text the query's '&' is escaped as Slack wants.
  EXPECT_EQ(message["blocks"].back()["elements"][0]["url"],
            "https://cx.example.com/incidents/"
            "INC-0003?metric=cx_score&slice=region%3Dseattle&start=2026-07-31");
  EXPECT_NE(message["text"].get<std::string>().find(
                "https://cx.example.com/incidents/"
                "INC-0003?metric=cx_score&amp;slice=region%3Dseattle&amp;start=2026-07-31"),
            std::string::npos)
      << message["text"];
}

TEST(SlackMessageTest, EscapesSlackMarkupInNames) {
  IncidentFacts incident = Incident("INC-0001", "region=a<b>&c", "2026-07-31", "", "high");
  const std::string text =
      SlackMessage(EventPayload({.kind = EventKind::OPENED}, incident, "http://cx", "t")).dump();
  EXPECT_NE(text.find("region=a&lt;b&gt;&amp;c"), std::string::npos) << text;
}

TEST(TestPayloadTest, IsMarkedTestAndLinksTheDashboard) {
  const json payload = TestPayload("https://cx.example.com", "2026-08-30T06:00:00Z");
  EXPECT_EQ(payload["event"], "test");
  EXPECT_EQ(payload["link"], "https://cx.example.com/");
  EXPECT_TRUE(payload["incident"].is_null());
  EXPECT_EQ(SlackMessage(payload)["blocks"].size(), 1u);
}

}  // namespace
}  // namespace cxagent::notify
