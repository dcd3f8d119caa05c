#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cxagent {

//! A calendar date as days since 1970-01-01 (DuckDB's DATE representation).
struct Date {
  int32_t days = 0;

  auto operator<=>(const Date&) const = default;
};

//! Parses a strict `YYYY-MM-DD` date; throws InvalidInput naming `what` (a key or parameter).
Date ParseDate(std::string_view text, std::string_view what = "date");
//! Formats a date as `YYYY-MM-DD`.
std::string FormatDate(Date date);
//! The date `days` days after `date`.
Date AddDays(Date date, int32_t days);
//! Day of week of a date, 0 = Monday ... 6 = Sunday.
int DayOfWeek(Date date);

}  // namespace cxagent
