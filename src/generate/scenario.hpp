#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cxagent::generate {

//! The ten causes of domain.md §5, the vocabulary shared with root-cause analysis.
enum class Cause {
  BATCHING_EXPANSION,
  DASHER_SUPPLY_SHORTAGE,
  MERCHANT_PREP_DELAY,
  INVENTORY_FEED_OUTAGE,
  SUBSTITUTION_MODEL_REGRESSION,
  ETA_UNDERESTIMATION,
  APP_RELEASE_REGRESSION,
  SEVERE_WEATHER,
  DEMAND_SURGE,
  DELIVERY_RADIUS_EXPANSION,
};

//! The contract id of a cause, e.g. "batching_expansion".
std::string_view CauseName(Cause cause);
//! Every cause, in the order of domain.md §5.
const std::vector<Cause>& AllCauses();
//! True for the internal changes that write a change_log row by default.
bool IsInternalCause(Cause cause);
//! The change_log `kind` an internal cause logs under.
std::string_view ChangeKindOf(Cause cause);
//! The magnitude used when a scenario leaves it out (chosen to drop CX several points in-slice).
double DefaultMagnitude(Cause cause);
//! The largest magnitude accepted for a cause (exclusive for fractions that must stay below 1).
double MaxMagnitude(Cause cause);

//! A slice: dimension -> value, sorted by dimension name (domain.md §3); empty means all orders.
using Slice = std::map<std::string, std::string>;

//! The canonical text form of a slice: "region=seattle&store_type=grocery", or "all".
std::string SliceText(const Slice& slice);

//! One injected incident of a scenario.
struct Incident {
  std::string id;
  Cause cause = Cause::BATCHING_EXPANSION;
  Slice slice;
  int start_day = 0;
  std::optional<int> end_day;  //!< exclusive; absent = until the end
  double magnitude = 0.0;
  bool log_change = false;
};

//! A validated scenario (domain.md §6), with every optional field defaulted.
struct Scenario {
  std::string name;
  uint64_t seed = 0;
  int32_t start_date = 0;  //!< days since 1970-01-01
  int days = 0;
  int64_t orders_per_day = 20000;
  std::vector<std::string> regions;
  int decoy_changes = 0;
  double noise = 1.0;
  std::vector<Incident> incidents;
};

//! Command-line overrides applied before validation.
struct ScenarioOverrides {
  std::optional<uint64_t> seed;
  std::optional<int> days;
  std::optional<int64_t> orders_per_day;
};

//! Reads and validates a scenario file; every error is InvalidInput naming the file, the key and
//! what is allowed.
Scenario LoadScenario(const std::string& path, const ScenarioOverrides& overrides = {});
//! Parses and validates scenario YAML text; `source` names it in messages.
Scenario ParseScenario(std::string_view yaml_text, std::string_view source,
                       const ScenarioOverrides& overrides = {});

//! The default region ids of domain.md §3.
const std::vector<std::string>& DefaultRegions();
//! The slicing dimensions of domain.md §3, sorted by name.
const std::vector<std::string>& SliceDimensions();

//! Days since 1970-01-01 of a civil date.
int32_t DaysFromCivil(int year, unsigned month, unsigned day);
//! "YYYY-MM-DD" of a day number.
std::string FormatDate(int32_t days);
//! Parses a strict "YYYY-MM-DD"; nullopt when malformed or not a real date.
std::optional<int32_t> ParseDate(std::string_view text);
//! Month (1-12) of a day number.
unsigned MonthOf(int32_t days);
//! Day of week of a day number, 0 = Monday.
int WeekdayOf(int32_t days);

}  // namespace cxagent::generate
