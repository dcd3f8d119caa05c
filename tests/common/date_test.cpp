#include "common/date.hpp"

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace cxagent {
namespace {

using testing::ErrorMessage;

TEST(DateTest, ParsesAndFormatsRoundTrip) {
  const Date date = ParseDate("2026-06-01");
  EXPECT_EQ(FormatDate(date), "2026-06-01");
  EXPECT_EQ(ParseDate("1970-01-01").days, 0);
  EXPECT_EQ(FormatDate(AddDays(date, 30)), "2026-07-01");
}

TEST(DateTest, KnowsTheDayOfWeek) {
  EXPECT_EQ(DayOfWeek(ParseDate("2026-11-23")), 0);  // a Monday
  EXPECT_EQ(DayOfWeek(ParseDate("2026-11-29")), 6);  // a Sunday
  EXPECT_EQ(DayOfWeek(ParseDate("1969-12-31")), 2);  // before the epoch
}

TEST(DateTest, RejectsMalformedText) {
  EXPECT_EQ(ErrorMessage([] { ParseDate("2026-6-1", "start_date"); }),
            "start_date: '2026-6-1' is not a date; expected YYYY-MM-DD");
  EXPECT_EQ(ErrorMessage([] { ParseDate("", "end_date"); }),
            "end_date: '' is not a date; expected YYYY-MM-DD");
}

TEST(DateTest, RejectsImpossibleDates) {
  EXPECT_EQ(ErrorMessage([] { ParseDate("2026-02-30", "start_date"); }),
            "start_date: '2026-02-30' is not a calendar date");
}

}  // namespace
}  // namespace cxagent
