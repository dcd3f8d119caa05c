#include "detect/busy_windows.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string_view>
#include <utility>

#include "common/date.hpp"
#include "detect/series_stats.hpp"
#include "storage/table.hpp"

namespace cxagent::detect {
namespace {

// The id of a BusierWindows window begins so (IsBusierWindow).
constexpr std::string_view BUSIER_PREFIX = "busier:";

// The windows a rise is tested over (days), as mechanism windows are: a week at least, so that
// each holds every weekday, to four.
constexpr size_t MIN_WINDOW = 7;
constexpr size_t MAX_WINDOW = 28;
// The days before a window its baseline takes at most, and at least.
constexpr size_t MAX_BASELINE = 28;
constexpr size_t MIN_BASELINE = 14;

// A day's sums of one series.
struct Sums {
  double created = 0;
  double dashers = 0;
};

// The baseline of a window starting at `start`: up to MAX_BASELINE days before it.
size_t BaselineBegin(size_t start) {
  return start - std::min(start, MAX_BASELINE);
}

// The strongest rise of log(created / dashers) in `values` (NaN: no value that day): its window
// [start, start + days), z and rise of the log ratio, over windows of MIN_WINDOW..MAX_WINDOW days
// against up to MAX_BASELINE days before (at least MIN_BASELINE), the noise the series'
// day-to-day one.
struct Rise {
  size_t start = 0;
  size_t days = 0;
  double z = 0;
  double log_rise = 0;
};
Rise StrongestRise(const std::vector<double>& values) {
  Rise best;
  const ObservedSeries observed = DropMissing(values);
  if (observed.values.size() < MIN_BASELINE + MIN_WINDOW) return best;
  const double sigma = DifferenceNoiseScale(observed.values, 1);
  if (!(sigma > 0)) return best;
  const size_t n = values.size();
  for (size_t start = MIN_BASELINE; start + MIN_WINDOW <= n; ++start) {
    const auto [base, base_count] = MeanOf(values, BaselineBegin(start), start);
    if (base_count < MIN_BASELINE) continue;
    for (size_t days = MIN_WINDOW; days <= MAX_WINDOW && start + days <= n; ++days) {
      const auto [now, count] = MeanOf(values, start, start + days);
      if (count < MIN_WINDOW) continue;
      const double z =
          (now - base) / (sigma * std::sqrt(1.0 / double(count) + 1.0 / double(base_count)));
      if (z > best.z) best = {start, days, z, now - base};
    }
  }
  return best;
}

// A day's sums as the log of orders created per dasher-hour (NaN without either).
double LogRatio(const Sums& sums) {
  return sums.created > 0 && sums.dashers > 0 ? std::log(sums.created / sums.dashers)
                                              : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

std::string DaypartOfHour(std::string_view hour) {
  return fmt::format(
      "CASE WHEN {0} >= 6 AND {0} < 10 THEN 'breakfast' WHEN {0} >= 10 AND {0} < 14 THEN 'lunch' "
      "WHEN {0} >= 14 AND {0} < 17 THEN 'afternoon' WHEN {0} >= 17 AND {0} < 21 THEN 'dinner' "
      "ELSE 'late_night' END",
      hour);
}

std::string BusySupplyQuery() {
  return fmt::format(
      "SELECT region::VARCHAR AS region, {} AS daypart, d, sum(orders_created)::DOUBLE AS "
      "created, sum(active_dashers)::DOUBLE AS dashers FROM (SELECT region, CAST(extract(hour "
      "FROM \"hour\") AS INTEGER) AS h, CAST(\"hour\" AS DATE) AS d, orders_created, "
      "active_dashers FROM supply_hourly WHERE region IS NOT NULL AND \"hour\" IS NOT NULL) s "
      "GROUP BY region, daypart, d",
      DaypartOfHour("h"));
}

std::vector<LoggedChange> BusierWindows(const storage::Table& supply, const IncidentConfig& config,
                                        const std::vector<std::string>& dimensions) {
  const auto has = [&](const char* dimension) {
    return std::find(dimensions.begin(), dimensions.end(), dimension) != dimensions.end();
  };
  if (!has("region") || !has("daypart") || supply.RowCount() == 0) return {};
  const auto& region = supply.Get("region");
  const auto& daypart = supply.Get("daypart");
  const auto& day = supply.Get("d");
  const auto& created = supply.Get("created");
  const auto& dashers = supply.Get("dashers");
  // Per region, its daily sums and each daypart's.
  struct Region {
    std::map<int32_t, Sums> whole;
    std::map<std::string, std::map<int32_t, Sums>> dayparts;
  };
  std::map<std::string, Region> regions;
  int32_t first = std::numeric_limits<int32_t>::max();
  int32_t last = std::numeric_limits<int32_t>::min();
  for (size_t row = 0; row < supply.RowCount(); ++row) {
    if (region.IsNull(row) || day.IsNull(row) || created.IsNull(row) || dashers.IsNull(row)) {
      continue;
    }
    const auto d = static_cast<int32_t>(day.ints[row]);
    first = std::min(first, d);
    last = std::max(last, d);
    Region& into = regions[std::string(region.StringAt(row))];
    const auto add = [&](Sums& sums) {
      sums.created += created.doubles[row];
      sums.dashers += dashers.doubles[row];
    };
    add(into.whole[d]);
    if (!daypart.IsNull(row)) add(into.dayparts[std::string(daypart.StringAt(row))][d]);
  }
  const auto days = static_cast<size_t>(last - first + 1);
  const auto series_of = [&](const std::map<int32_t, Sums>& sums,
                             const std::map<int32_t, Sums>* less) {
    std::vector<double> values(days, std::numeric_limits<double>::quiet_NaN());
    for (const auto& [d, day_sums] : sums) {
      Sums rest = day_sums;
      if (less != nullptr) {
        const auto found = less->find(d);
        if (found != less->end()) {
          rest.created -= found->second.created;
          rest.dashers -= found->second.dashers;
        }
      }
      values[static_cast<size_t>(d - first)] = LogRatio(rest);
    }
    return values;
  };
  std::vector<LoggedChange> busier;
  for (const auto& [name, sums] : regions) {
    for (const auto& [part, part_sums] : sums.dayparts) {
      const Rise rise = StrongestRise(series_of(part_sums, nullptr));
      if (!(rise.z >= config.busy_z) || !(std::exp(rise.log_rise) - 1 >= config.busy_min_rise)) {
        continue;
      }
      // The rest of the region over the same days: a region busier as a whole is left to the
      // search over every slice, which its volume serves (and whose incident is the region's).
      const std::vector<double> rest = series_of(sums.whole, &part_sums);
      const double rest_rise = MeanOf(rest, rise.start, rise.start + rise.days).first -
                               MeanOf(rest, BaselineBegin(rise.start), rise.start).first;
      const Slice slice(std::map<std::string, std::string>{{"region", name}, {"daypart", part}});
      const Date date{first + static_cast<int32_t>(rise.start)};
      spdlog::debug(
          "busier: {} from {}, orders per dasher-hour +{:.0f}% (z {:.1f}), the rest of the "
          "region {:+.0f}%",
          slice.ToText(), FormatDate(date), 100 * (std::exp(rise.log_rise) - 1), rise.z,
          100 * (std::exp(rest_rise) - 1));
      if (rest_rise > config.nested_shared * rise.log_rise) continue;
      busier.push_back({fmt::format("{}{}:{}", BUSIER_PREFIX, slice.ToText(), FormatDate(date)),
                        "busier", slice, date});
    }
  }
  return busier;
}

bool IsBusierWindow(std::string_view change_id) {
  return change_id.starts_with(BUSIER_PREFIX);
}

}  // namespace cxagent::detect
