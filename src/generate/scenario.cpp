#include "generate/scenario.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "common/config.hpp"
#include "common/error.hpp"
#include "generate/catalog.hpp"

namespace cxagent::generate {

namespace {

struct CauseInfo {
  Cause cause;
  std::string_view name;
  bool internal;
  std::string_view change_kind;
  double default_magnitude;
  double max_magnitude;
  bool max_exclusive;
};

// Default magnitudes are sized so that each cause alone drops the CX Score of its slice by several
// points (see docs/generator.md); maxima keep every mechanism physically meaningful.
constexpr CauseInfo CAUSES[] = {
    {Cause::BATCHING_EXPANSION, "batching_expansion", true, "dispatch_policy", 0.4, 1.0, false},
    {Cause::DASHER_SUPPLY_SHORTAGE, "dasher_supply_shortage", false, "", 0.35, 1.0, true},
    {Cause::MERCHANT_PREP_DELAY, "merchant_prep_delay", false, "", 0.6, 5.0, false},
    {Cause::INVENTORY_FEED_OUTAGE, "inventory_feed_outage", false, "", 0.25, 1.0, false},
    {Cause::SUBSTITUTION_MODEL_REGRESSION, "substitution_model_regression", true,
     "substitution_model", 0.7, 1.0, false},
    {Cause::ETA_UNDERESTIMATION, "eta_underestimation", true, "eta_model", 0.2, 1.0, true},
    {Cause::APP_RELEASE_REGRESSION, "app_release_regression", true, "app_release", 0.05, 1.0,
     false},
    {Cause::SEVERE_WEATHER, "severe_weather", false, "", 0.5, 3.0, false},
    {Cause::DEMAND_SURGE, "demand_surge", false, "", 0.4, 3.0, false},
    {Cause::DELIVERY_RADIUS_EXPANSION, "delivery_radius_expansion", true, "delivery_radius", 0.6,
     3.0, false},
};

const CauseInfo& Info(Cause cause) {
  for (const auto& info : CAUSES) {
    if (info.cause == cause) return info;
  }
  throw InternalError("unknown cause {}", static_cast<int>(cause));
}

std::string Line(const YAML::Node& node) {
  if (node.Mark().line < 0) return "";
  return fmt::format(" (line {})", node.Mark().line + 1);
}

// Every validation error goes through here so all of them name the file, the key and what is
// allowed in one shape: "FILE: KEY: problem; allowed: ...".
[[noreturn]] void Fail(std::string_view source, std::string_view key, const YAML::Node& node,
                       std::string_view problem) {
  throw InvalidInput("{}: {}{}: {}", source, key, Line(node), problem);
}

std::string Scalar(const YAML::Node& node) {
  return node.IsScalar() ? node.Scalar() : "<not a scalar>";
}

int64_t ReadInt(std::string_view source, std::string_view key, const YAML::Node& node, int64_t lo,
                int64_t hi) {
  std::string text = Scalar(node);
  int64_t value = 0;
  size_t used = 0;
  bool ok = node.IsScalar() && !text.empty();
  if (ok) {
    try {
      value = std::stoll(text, &used, 10);
      ok = used == text.size();
    } catch (const std::exception&) {
      ok = false;
    }
  }
  if (!ok)
    Fail(source, key, node,
         fmt::format("'{}' is not an integer; allowed: integers {}..{}", text, lo, hi));
  if (value < lo || value > hi) {
    Fail(source, key, node, fmt::format("{} is out of range; allowed: {}..{}", value, lo, hi));
  }
  return value;
}

double ReadDouble(std::string_view source, std::string_view key, const YAML::Node& node) {
  std::string text = Scalar(node);
  double value = 0;
  size_t used = 0;
  bool ok = node.IsScalar() && !text.empty();
  if (ok) {
    try {
      value = std::stod(text, &used);
      ok = used == text.size() && std::isfinite(value);
    } catch (const std::exception&) {
      ok = false;
    }
  }
  if (!ok) Fail(source, key, node, fmt::format("'{}' is not a number", text));
  return value;
}

bool ReadBool(std::string_view source, std::string_view key, const YAML::Node& node) {
  std::string text = Scalar(node);
  if (text == "true") return true;
  if (text == "false") return false;
  Fail(source, key, node, fmt::format("'{}' is not a boolean; allowed: true, false", text));
}

std::string ReadString(std::string_view source, std::string_view key, const YAML::Node& node) {
  if (!node.IsScalar() || node.Scalar().empty()) {
    Fail(source, key, node, "must be a non-empty string");
  }
  // The text goes into truth.json and messages, which must be UTF-8.
  if (!IsValidUtf8(node.Scalar())) Fail(source, key, node, "is not valid UTF-8 text");
  return node.Scalar();
}

bool IsId(std::string_view text, bool allow_upper_and_dash) {
  if (text.empty() || text.size() > 64) return false;
  return std::all_of(text.begin(), text.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           (allow_upper_and_dash && ((c >= 'A' && c <= 'Z') || c == '-' || c == '.'));
  });
}

void CheckKeys(std::string_view source, std::string_view where, const YAML::Node& map,
               const std::vector<std::string>& allowed) {
  for (const auto& entry : map) {
    std::string key = entry.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      Fail(source, where.empty() ? key : fmt::format("{}.{}", where, key), entry.first,
           fmt::format("unknown key; allowed: {}", fmt::join(allowed, ", ")));
    }
  }
}

const std::vector<std::string>& AllowedValues(const std::string& dimension,
                                              const std::vector<std::string>& regions) {
  if (dimension == "region") return regions;
  if (dimension == "store_type") return catalog::StoreTypes();
  if (dimension == "merchant") return catalog::Merchants();
  if (dimension == "platform") return catalog::Platforms();
  if (dimension == "customer_segment") return catalog::Segments();
  if (dimension == "daypart") return catalog::Dayparts();
  return catalog::FulfillmentModes();
}

Incident ReadIncident(std::string_view source, size_t index, const YAML::Node& node,
                      const Scenario& scenario, std::set<std::string>& ids) {
  std::string where = fmt::format("incidents[{}]", index);
  if (!node.IsMap())
    Fail(source, where, node, "must be a mapping with id, cause, slice, start_day, ...");
  CheckKeys(source, where, node,
            {"id", "cause", "slice", "start_day", "end_day", "magnitude", "log_change"});
  Incident incident;
  if (!node["id"]) Fail(source, where + ".id", node, "is required");
  incident.id = ReadString(source, where + ".id", node["id"]);
  if (!IsId(incident.id, true)) {
    Fail(source, where + ".id", node["id"],
         fmt::format(
             "'{}' is not allowed; allowed: 1-64 characters of letters, digits, '_', '-', '.'",
             incident.id));
  }
  if (!ids.insert(incident.id).second) {
    Fail(source, where + ".id", node["id"],
         fmt::format("'{}' is used twice; ids must be unique", incident.id));
  }
  if (!node["cause"]) Fail(source, where + ".cause", node, "is required");
  std::string cause = ReadString(source, where + ".cause", node["cause"]);
  bool found = false;
  for (const auto& info : CAUSES) {
    if (info.name == cause) {
      incident.cause = info.cause;
      found = true;
    }
  }
  if (!found) {
    std::vector<std::string_view> names;
    for (const auto& info : CAUSES) names.push_back(info.name);
    Fail(source, where + ".cause", node["cause"],
         fmt::format("unknown cause '{}'; allowed: {}", cause, fmt::join(names, ", ")));
  }
  if (node["slice"] && !node["slice"].IsNull()) {
    const YAML::Node& slice = node["slice"];
    if (!slice.IsMap())
      Fail(source, where + ".slice", slice,
           "must be a mapping of dimension: value ({} = all orders)");
    for (const auto& entry : slice) {
      std::string dimension = entry.first.Scalar();
      std::string key = fmt::format("{}.slice.{}", where, dimension);
      const auto& dims = SliceDimensions();
      if (std::find(dims.begin(), dims.end(), dimension) == dims.end()) {
        Fail(source, key, entry.first,
             fmt::format("unknown dimension '{}'; allowed: {}", dimension, fmt::join(dims, ", ")));
      }
      std::string value = ReadString(source, key, entry.second);
      const auto& allowed = AllowedValues(dimension, scenario.regions);
      if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
        Fail(source, key, entry.second,
             fmt::format("unknown value '{}'; allowed: {}", value, fmt::join(allowed, ", ")));
      }
      incident.slice[dimension] = value;
    }
  }
  if (!node["start_day"]) Fail(source, where + ".start_day", node, "is required");
  incident.start_day = static_cast<int>(
      ReadInt(source, where + ".start_day", node["start_day"], 0, scenario.days - 1));
  if (node["end_day"] && !node["end_day"].IsNull()) {
    incident.end_day = static_cast<int>(ReadInt(source, where + ".end_day", node["end_day"],
                                                incident.start_day + 1, scenario.days));
  }
  const CauseInfo& info = Info(incident.cause);
  incident.magnitude = info.default_magnitude;
  if (node["magnitude"]) {
    incident.magnitude = ReadDouble(source, where + ".magnitude", node["magnitude"]);
    bool too_big = info.max_exclusive ? incident.magnitude >= info.max_magnitude
                                      : incident.magnitude > info.max_magnitude;
    if (incident.magnitude <= 0 || too_big) {
      Fail(
          source, where + ".magnitude", node["magnitude"],
          fmt::format("{} is out of range for {}; allowed: 0 < magnitude {} {}", incident.magnitude,
                      info.name, info.max_exclusive ? "<" : "<=", info.max_magnitude));
    }
  }
  incident.log_change = info.internal;
  if (node["log_change"]) {
    incident.log_change = ReadBool(source, where + ".log_change", node["log_change"]);
    if (incident.log_change && !info.internal) {
      Fail(source, where + ".log_change", node["log_change"],
           fmt::format("{} is an external cause and writes no change_log row; allowed: false",
                       info.name));
    }
  }
  return incident;
}

}  // namespace

std::string_view CauseName(Cause cause) {
  return Info(cause).name;
}

const std::vector<Cause>& AllCauses() {
  static const std::vector<Cause> causes = [] {
    std::vector<Cause> all;
    for (const auto& info : CAUSES) all.push_back(info.cause);
    return all;
  }();
  return causes;
}

bool IsInternalCause(Cause cause) {
  return Info(cause).internal;
}
std::string_view ChangeKindOf(Cause cause) {
  return Info(cause).change_kind;
}
double DefaultMagnitude(Cause cause) {
  return Info(cause).default_magnitude;
}
double MaxMagnitude(Cause cause) {
  return Info(cause).max_magnitude;
}

std::string SliceText(const Slice& slice) {
  if (slice.empty()) return "all";
  std::string text;
  for (const auto& [dimension, value] : slice) {
    if (!text.empty()) text += '&';
    text += dimension + "=" + value;
  }
  return text;
}

const std::vector<std::string>& DefaultRegions() {
  static const std::vector<std::string> regions{"bay_area", "los_angeles", "seattle", "chicago",
                                                "new_york", "boston",      "austin",  "atlanta"};
  return regions;
}

const std::vector<std::string>& SliceDimensions() {
  static const std::vector<std::string> dims{"customer_segment", "daypart",  "fulfillment_mode",
                                             "merchant",         "platform", "region",
                                             "store_type"};
  return dims;
}

Scenario LoadScenario(const std::string& path, const ScenarioOverrides& overrides) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw InvalidInput("{}: cannot open the scenario file", path);
  std::stringstream buffer;
  buffer << file.rdbuf();
  return ParseScenario(buffer.str(), path, overrides);
}

Scenario ParseScenario(std::string_view yaml_text, std::string_view source,
                       const ScenarioOverrides& overrides) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& error) {
    throw InvalidInput("{}: line {}: not valid YAML: {}", source, error.mark.line + 1, error.msg);
  }
  RejectDuplicateKeys(root, source);
  if (!root.IsMap()) {
    throw InvalidInput("{}: the scenario must be a YAML mapping with name, seed, start_date, days",
                       source);
  }
  CheckKeys(source, "", root,
            {"name", "seed", "start_date", "days", "orders_per_day", "regions", "decoy_changes",
             "noise", "incidents"});
  for (const char* key : {"name", "seed", "start_date", "days"}) {
    if (!root[key]) Fail(source, key, root, "is required");
  }
  Scenario scenario;
  scenario.name = ReadString(source, "name", root["name"]);
  scenario.seed = static_cast<uint64_t>(
      ReadInt(source, "seed", root["seed"], 0, std::numeric_limits<int64_t>::max()));
  std::string date = ReadString(source, "start_date", root["start_date"]);
  auto start = ParseDate(date);
  if (!start) {
    Fail(source, "start_date", root["start_date"],
         fmt::format("'{}' is not a date; allowed: a real date as YYYY-MM-DD", date));
  }
  scenario.start_date = *start;
  scenario.days = static_cast<int>(ReadInt(source, "days", root["days"], 28, 3660));
  if (root["orders_per_day"]) {
    scenario.orders_per_day =
        ReadInt(source, "orders_per_day", root["orders_per_day"], 100, 5'000'000);
  }
  if (overrides.seed) scenario.seed = *overrides.seed;
  if (overrides.days) {
    if (*overrides.days < 28 || *overrides.days > 3660) {
      throw InvalidInput("--days: {} is out of range; allowed: 28..3660", *overrides.days);
    }
    scenario.days = *overrides.days;
  }
  if (overrides.orders_per_day) {
    if (*overrides.orders_per_day < 100 || *overrides.orders_per_day > 5'000'000) {
      throw InvalidInput("--orders-per-day: {} is out of range; allowed: 100..5000000",
                         *overrides.orders_per_day);
    }
    scenario.orders_per_day = *overrides.orders_per_day;
  }
  scenario.regions = DefaultRegions();
  if (root["regions"]) {
    const YAML::Node& regions = root["regions"];
    if (!regions.IsSequence() || regions.size() == 0 || regions.size() > 64) {
      Fail(source, "regions", regions, "must be a list of 1 to 64 region ids");
    }
    scenario.regions.clear();
    for (size_t i = 0; i < regions.size(); ++i) {
      std::string key = fmt::format("regions[{}]", i);
      std::string region = ReadString(source, key, regions[i]);
      if (!IsId(region, false)) {
        Fail(source, key, regions[i],
             fmt::format("'{}' is not allowed; allowed: lower-case letters, digits and '_'",
                         region));
      }
      if (std::find(scenario.regions.begin(), scenario.regions.end(), region) !=
          scenario.regions.end()) {
        Fail(source, key, regions[i], fmt::format("'{}' is listed twice", region));
      }
      scenario.regions.push_back(region);
    }
  }
  if (root["decoy_changes"]) {
    scenario.decoy_changes =
        static_cast<int>(ReadInt(source, "decoy_changes", root["decoy_changes"], 0, 100));
  }
  if (root["noise"]) {
    scenario.noise = ReadDouble(source, "noise", root["noise"]);
    if (scenario.noise <= 0 || scenario.noise > 5) {
      Fail(source, "noise", root["noise"],
           fmt::format("{} is out of range; allowed: 0 < noise <= 5", scenario.noise));
    }
  }
  if (root["incidents"] && !root["incidents"].IsNull()) {
    const YAML::Node& incidents = root["incidents"];
    if (!incidents.IsSequence()) {
      Fail(source, "incidents", incidents, "must be a list of incidents");
    }
    // Orders added by demand surges are numbered per incident inside a day's id block.
    if (incidents.size() > 100) {
      Fail(source, "incidents", incidents,
           fmt::format("{} incidents; allowed: at most 100", incidents.size()));
    }
    std::set<std::string> ids;
    for (size_t i = 0; i < incidents.size(); ++i) {
      scenario.incidents.push_back(ReadIncident(source, i, incidents[i], scenario, ids));
    }
  }
  return scenario;
}

// Howard Hinnant's days_from_civil / civil_from_days.
int32_t DaysFromCivil(int year, unsigned month, unsigned day) {
  year -= month <= 2;
  const int era = (year >= 0 ? year : year - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(year - era * 400);
  const unsigned doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int>(doe) - 719468;
}

namespace {
void CivilFromDays(int32_t z, int& year, unsigned& month, unsigned& day) {
  z += 719468;
  const int era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  day = doy - (153 * mp + 2) / 5 + 1;
  month = mp < 10 ? mp + 3 : mp - 9;
  year = static_cast<int>(yoe) + era * 400 + (month <= 2);
}
}  // namespace

std::string FormatDate(int32_t days) {
  int year;
  unsigned month, day;
  CivilFromDays(days, year, month, day);
  return fmt::format("{:04}-{:02}-{:02}", year, month, day);
}

std::optional<int32_t> ParseDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  int year = std::stoi(std::string(text.substr(0, 4)));
  unsigned month = static_cast<unsigned>(std::stoi(std::string(text.substr(5, 2))));
  unsigned day = static_cast<unsigned>(std::stoi(std::string(text.substr(8, 2))));
  if (year < 1971 || year > 2200 || month < 1 || month > 12 || day < 1) return std::nullopt;
  int32_t days = DaysFromCivil(year, month, day);
  if (FormatDate(days) != text) return std::nullopt;
  return days;
}

unsigned MonthOf(int32_t days) {
  int year;
  unsigned month, day;
  CivilFromDays(days, year, month, day);
  return month;
}

int WeekdayOf(int32_t days) {
  return static_cast<int>(((days % 7) + 7 + 3) % 7);
}

}  // namespace cxagent::generate
