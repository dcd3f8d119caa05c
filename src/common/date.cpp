#include "common/date.hpp"

#include <fmt/format.h>
#include <chrono>

#include "common/error.hpp"

namespace cxagent {

namespace {

bool AllDigits(std::string_view text) {
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return !text.empty();
}

int ToInt(std::string_view digits) {
  int value = 0;
  for (char c : digits) value = value * 10 + (c - '0');
  return value;
}

}  // namespace

Date ParseDate(std::string_view text, std::string_view what) {
  const bool shaped = text.size() == 10 && text[4] == '-' && text[7] == '-' &&
                      AllDigits(text.substr(0, 4)) && AllDigits(text.substr(5, 2)) &&
                      AllDigits(text.substr(8, 2));
  if (!shaped) {
    throw InvalidInput("{}: '{}' is not a date; expected YYYY-MM-DD", what, text);
  }
  const std::chrono::year_month_day ymd{std::chrono::year{ToInt(text.substr(0, 4))},
                                        std::chrono::month{unsigned(ToInt(text.substr(5, 2)))},
                                        std::chrono::day{unsigned(ToInt(text.substr(8, 2)))}};
  if (!ymd.ok()) {
    throw InvalidInput("{}: '{}' is not a calendar date", what, text);
  }
  return Date{static_cast<int32_t>(std::chrono::sys_days{ymd}.time_since_epoch().count())};
}

std::string FormatDate(Date date) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{date.days}}};
  return fmt::format("{:04d}-{:02d}-{:02d}", int(ymd.year()), unsigned(ymd.month()),
                     unsigned(ymd.day()));
}

Date AddDays(Date date, int32_t days) {
  return Date{date.days + days};
}

int DayOfWeek(Date date) {
  // 1970-01-01 was a Thursday (index 3 with Monday = 0).
  const int index = (date.days + 3) % 7;
  return index < 0 ? index + 7 : index;
}

}  // namespace cxagent
