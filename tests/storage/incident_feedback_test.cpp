#include "storage/incident_feedback.hpp"

#include <gtest/gtest.h>

#include "common/file.hpp"
#include "storage/incident_status.hpp"
#include "support/test_support.hpp"

namespace cxagent::storage {
namespace {

using testing::ErrorMessage;
using testing::TempDir;

IncidentFeedback Label(const std::string& label, const std::string& slice, const std::string& start,
                       const std::string& end, const std::string& metric = "cx_score") {
  return {.label = label,
          .by = "ana",
          .note = "n",
          .updated_at = "2026-08-30T06:00:00Z",
          .metric = metric,
          .slice_text = slice,
          .start_date = start,
          .end_date = end};
}

void Add(IncidentFeedbacks& feedback, IncidentFeedback label) {
  const std::string identity = IncidentIdentity(label.metric, label.slice_text, label.start_date);
  feedback.emplace(identity, std::move(label));
}

std::string MutedBy(const IncidentFeedbacks& feedback, const std::string& metric,
                    const std::string& slice, const std::string& start) {
  const IncidentFeedback* label = FindMutingFeedback(feedback, metric, slice, start, 3);
  return label == nullptr ? "(not muted)" : label->label + "@" + label->start_date;
}

TEST(IncidentFeedbackTest, SavesAndLoadsEveryField) {
  TempDir dir;
  IncidentFeedbacks feedback;
  Add(feedback, Label("false_alarm", "region=seattle", "2026-07-31", ""));
  Add(feedback, Label("confirmed", "all", "2026-06-10", "2026-06-20"));
  SaveIncidentFeedback(dir.Path().string(), feedback);
  const IncidentFeedbacks loaded = LoadIncidentFeedback(dir.Path().string());
  ASSERT_EQ(loaded.size(), 2u);
  const IncidentFeedback& seattle = loaded.at("cx_score|region=seattle|2026-07-31");
  EXPECT_EQ(seattle.label, "false_alarm");
  EXPECT_EQ(seattle.by, "ana");
  EXPECT_EQ(seattle.end_date, "");
  EXPECT_EQ(loaded.at("cx_score|all|2026-06-10").end_date, "2026-06-20");
  EXPECT_TRUE(LoadIncidentFeedback(dir.File("elsewhere")).empty());
}

TEST(IncidentFeedbackTest, ADamagedFileOrUnknownLabelIsNamed) {
  TempDir dir;
  std::filesystem::create_directories(dir.Path() / ".cxagent");
  const std::string path = IncidentFeedbackPath(dir.Path().string());
  WriteFileAtomic(path, "{\"version\": 1, \"incidents\": {\"x\": {}}}");
  EXPECT_NE(ErrorMessage([&] {
              LoadIncidentFeedback(dir.Path().string());
            }).find("incident_feedback.json: damaged incident feedback file"),
            std::string::npos);
  IncidentFeedbacks feedback;
  Add(feedback, Label("maybe", "all", "2026-06-10", ""));
  SaveIncidentFeedback(dir.Path().string(), feedback);
  EXPECT_EQ(ErrorMessage([&] { LoadIncidentFeedback(dir.Path().string()); }),
            path + ": cx_score|all|2026-06-10: unknown label 'maybe'; fix or delete the file");
}

TEST(IncidentFeedbackTest, OnlyFalseAlarmAndExpectedMute) {
  EXPECT_TRUE(IsMutingLabel("false_alarm"));
  EXPECT_TRUE(IsMutingLabel("expected"));
  EXPECT_FALSE(IsMutingLabel("confirmed"));
  EXPECT_FALSE(IsMutingLabel("duplicate"));
  IncidentFeedbacks feedback;
  Add(feedback, Label("confirmed", "region=seattle", "2026-07-31", ""));
  Add(feedback, Label("duplicate", "region=austin", "2026-07-31", ""));
  EXPECT_EQ(MutedBy(feedback, "cx_score", "region=seattle", "2026-07-31"), "(not muted)");
  EXPECT_EQ(MutedBy(feedback, "cx_score", "region=austin", "2026-08-05"), "(not muted)");
}

TEST(IncidentFeedbackTest, AFalseAlarmMutesItselfAndLaterIncidentsOfTheSliceWhileOpen) {
  IncidentFeedbacks feedback;
  Add(feedback, Label("false_alarm", "region=seattle", "2026-07-31", ""));
  // Itself, also when a re-analysis moves its start back within tolerance.
  EXPECT_EQ(MutedBy(feedback, "cx_score", "region=seattle", "2026-07-31"),
            "false_alarm@2026-07-31");
  EXPECT_EQ(MutedBy(feedback, "cx_score", "region=seattle", "2026-07-29"),
            "false_alarm@2026-07-31");
  // Any later start of the slice, any metric, while the labelled incident is open.
  EXPECT_EQ(MutedBy(feedback, "cx_score", "region=seattle", "2026-08-20"),
            "false_alarm@2026-07-31");
  EXPECT_EQ(MutedBy(feedback, "on_time_rate", "region=seattle", "2026-08-02"),
            "false_alarm@2026-07-31");
  // Earlier incidents and other slices (a wider or narrower one included) are not muted.
  EXPECT_EQ(MutedBy(feedback, "on_time_rate", "region=seattle", "2026-07-20"), "(not muted)");
  EXPECT_EQ(MutedBy(feedback, "cx_score", "region=seattle&platform=ios", "2026-08-02"),
            "(not muted)");
  EXPECT_EQ(MutedBy(feedback, "cx_score", "all", "2026-08-02"), "(not muted)");
}

TEST(IncidentFeedbackTest, AnEndedLabelledWindowMutesStartsInsideItOnly) {
  IncidentFeedbacks feedback;
  Add(feedback, Label("expected", "region=seattle", "2026-07-31", "2026-08-10"));
  EXPECT_EQ(MutedBy(feedback, "late_rate", "region=seattle", "2026-08-10"), "expected@2026-07-31");
  // A regression that starts after the promotion ended is news.
  EXPECT_EQ(MutedBy(feedback, "late_rate", "region=seattle", "2026-08-11"), "(not muted)");
}

}  // namespace
}  // namespace cxagent::storage
