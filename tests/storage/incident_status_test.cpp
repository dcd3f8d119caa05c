#include "storage/incident_status.hpp"

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace cxagent::storage {
namespace {

IncidentStatuses Saved() {
  IncidentStatuses statuses;
  statuses[IncidentIdentity("cx_score", "region=seattle", "2026-07-31")] = {"acknowledged", "a",
                                                                            ""};
  statuses[IncidentIdentity("cx_score", "region=seattle", "2026-09-20")] = {"resolved", "b", ""};
  statuses[IncidentIdentity("cx_score", "region=seattle&store_type=grocery", "2026-08-01")] = {
      "resolved", "c", ""};
  statuses[IncidentIdentity("on_time_rate", "region=boston", "2026-08-01")] = {"resolved", "d", ""};
  return statuses;
}

std::string NoteOf(const IncidentStatus* status) {
  return status == nullptr ? "(none)" : status->note;
}

TEST(IncidentStatusTest, TheExactIdentityWins) {
  const auto statuses = Saved();
  EXPECT_EQ(NoteOf(FindIncidentStatus(statuses, "cx_score", "region=seattle", "2026-07-31", 3)),
            "a");
  EXPECT_EQ(NoteOf(FindIncidentStatus(statuses, "cx_score", "region=seattle", "2026-09-20", 3)),
            "b");
}

TEST(IncidentStatusTest, AStartMovedByAReanalysisKeepsItsTriage) {
  const auto statuses = Saved();
  EXPECT_EQ(NoteOf(FindIncidentStatus(statuses, "cx_score", "region=seattle", "2026-08-02", 3)),
            "a");
  EXPECT_EQ(NoteOf(FindIncidentStatus(statuses, "cx_score", "region=seattle", "2026-07-29", 3)),
            "a");
  EXPECT_EQ(NoteOf(FindIncidentStatus(statuses, "cx_score", "region=seattle", "2026-09-17", 3)),
            "b");
}

TEST(IncidentStatusTest, ANewRegressionOrAnotherSliceOrMetricMatchesNothing) {
  const auto statuses = Saved();
  // Weeks after the resolved one: a new incident in the same slice.
  EXPECT_EQ(NoteOf(FindIncidentStatus(statuses, "cx_score", "region=seattle", "2026-08-20", 3)),
            "(none)");
  // A slice whose text starts like a saved one, and the same slice under another metric.
  EXPECT_EQ(NoteOf(FindIncidentStatus(statuses, "cx_score", "region=sea", "2026-07-31", 3)),
            "(none)");
  EXPECT_EQ(NoteOf(FindIncidentStatus(statuses, "on_time_rate", "region=seattle", "2026-07-31", 3)),
            "(none)");
  EXPECT_EQ(NoteOf(FindIncidentStatus(statuses, "cx_score", "region=seattle", "2026-08-04", 3)),
            "(none)");
  EXPECT_EQ(NoteOf(FindIncidentStatus(statuses, "cx_score", "region=seattle", "2026-08-02", 0)),
            "(none)");
}

TEST(IncidentStatusTest, ABadStartDateIsRejected) {
  const std::string message = testing::ErrorMessage(
      [] { FindIncidentStatus(Saved(), "cx_score", "region=seattle", "31/07/2026", 3); });
  EXPECT_NE(message.find("start_date"), std::string::npos) << message;
}

}  // namespace
}  // namespace cxagent::storage
