#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "detect/incidents.hpp"
#include "storage/duckdb.hpp"

namespace cxagent::detect {

//! SQL naming the daypart (the contract's hours: breakfast 6-10, lunch 10-14, afternoon 14-17,
//! dinner 17-21, late_night 21-6) of `hour`, an INTEGER expression of the hour of the day.
std::string DaypartOfHour(std::string_view hour);

//! The query of `supply_hourly`'s daily sums that BusierWindows reads: per region, daypart (the
//! contract's hours: breakfast 6-10, lunch 10-14, afternoon 14-17, dinner 17-21, late_night
//! 21-6) and day (`d`, a DATE), the orders created and the active dasher-hours.
std::string BusySupplyQuery();

//! Where and when one daypart of a region got busier (docs/incidents.md step 6d), when
//! `dimensions` holds `region` and `daypart`: the day from which its orders created per active
//! dasher-hour (`supply`, BusySupplyQuery's rows) rose most, when that rise is at least
//! `busy_min_rise`, its z (log ratio, a window of 7-28 days against up to 28 days before, the
//! series' day-to-day noise) reaches `busy_z`, and the rest of the region rose at most
//! `nested_shared` as much over the same days (a region busier as a whole is left to the search
//! over every slice). Each is returned as a change of kind `busier` scoped to that slice and
//! dated on that day, for change-led detection to test the slice's assignment delays from there:
//! a supply shortage or a demand surge in one region's breakfast is seen in supply_hourly as
//! surely as a release in change_log. Days without dashers or orders are left out.
std::vector<LoggedChange> BusierWindows(const storage::Table& supply, const IncidentConfig& config,
                                        const std::vector<std::string>& dimensions);

//! Whether `change_id` names one of BusierWindows' windows (`busier:<slice>:<date>`).
bool IsBusierWindow(std::string_view change_id);

}  // namespace cxagent::detect
