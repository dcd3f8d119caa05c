#include "evaluate/random_worlds.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "common/error.hpp"
#include "generate/catalog.hpp"
#include "generate/random.hpp"

namespace cxagent::evaluate {

using generate::Cause;
using generate::Incident;
using generate::KeyedRng;
using generate::Scenario;
using generate::Slice;

namespace {

// The keyed stream of the drawing, apart from every stream of the generator's own.
constexpr uint64_t DRAW_STREAM = 0xe7a1;

// Worlds start on a day of 2025-2026, so some span winter (snow in cold regions) and some not.
constexpr int START_YEARS_DAYS = 730;
// Incidents start in the second half of the data (the detectors need history) and at least this
// many days before the end; an incident that ends lasts at least this long too.
constexpr int MIN_INCIDENT_DAYS = 7;
// Shares of the draw's choices.
constexpr double P_TWO_INCIDENTS = 0.5;
constexpr double P_OVERLAP = 0.5;  // the second incident shares the first's time and region
constexpr double P_ENDS = 0.3;
constexpr double P_UNLOGGED = 0.25;  // an internal change nobody logged
constexpr int MAX_OVERLAP_SHIFT_DAYS = 5;
constexpr double NOISE_LO = 0.8, NOISE_HI = 1.6;
constexpr int MAX_DECOYS = 6;
constexpr int MIN_REGIONS = 5;
// Slice draws that fail the volume floor are drawn again, up to this many times per cause.
constexpr int SLICE_ATTEMPTS = 200;

// Per-order shares of the customer's platform and segment, as the generator draws them
// (generate/generator.cpp, BaseOrder); checked against a generated world by the tests.
constexpr double PLATFORM_SHARE[3] = {0.5, 0.35, 0.15};
constexpr double SEGMENT_SHARE[3] = {0.12, 0.60, 0.28};

// One dimension of a slice shape and the values it may take (empty: the scenario's regions).
struct Dim {
  std::string dimension;
  std::vector<std::string> values;
};
using Shape = std::vector<Dim>;

struct CausePlan {
  Cause cause;
  // A fraction of the default magnitude: the default's CX drop (docs/generator.md) times this
  // stays near 1.5 points or more; convex mechanisms (supply, surge) keep a larger fraction.
  double min_magnitude;
  std::vector<Shape> shapes;
};

std::vector<std::string> ChainsOf(std::initializer_list<int> types) {
  std::vector<std::string> chains;
  for (size_t m = 0; m < generate::catalog::Merchants().size(); ++m) {
    const int type = generate::catalog::MerchantStoreType()[m];
    if (std::find(types.begin(), types.end(), type) != types.end()) {
      chains.push_back(generate::catalog::Merchants()[m]);
    }
  }
  return chains;
}

// Which slices each cause is injected in, after how the generator applies it
// (generate/generator.cpp, ApplyIncident and the inventory and supply passes):
// - prep delays act on merchant_pick prep, so restaurants (always merchant_pick) only;
// - substitutions only happen outside restaurants, so grocery or dasher_shop slices;
// - a feed outage empties shelves of the stores matching the slice's store dimensions, so only
//   store dimensions, and stores that stock items (not restaurants);
// - weather turns a whole region (supply_hourly follows only for region-wide slices);
// - an app release acts on one platform; supply and surges act on a region's pool of dashers.
const std::vector<CausePlan>& Plans() {
  static const std::vector<CausePlan> plans = [] {
    const std::vector<std::string> dayparts = generate::catalog::Dayparts();
    const std::vector<std::string> restaurant_chains = ChainsOf({generate::RESTAURANT});
    const std::vector<std::string> grocery_chains = ChainsOf({generate::GROCERY});
    const std::vector<std::string> stocked_chains =
        ChainsOf({generate::GROCERY, generate::CONVENIENCE, generate::PHARMACY, generate::ALCOHOL});
    const Dim region{"region", {}};
    const Dim meal{"daypart", {"lunch", "dinner"}};
    const Dim any_daypart{"daypart", dayparts};
    const Dim restaurant{"store_type", {"restaurant"}};
    const Dim grocery{"store_type", {"grocery"}};
    const Dim busy_types{"store_type", {"restaurant", "grocery"}};
    const Dim stocked_types{"store_type", {"grocery", "convenience", "pharmacy", "alcohol"}};
    const Dim dasher_shop{"fulfillment_mode", {"dasher_shop"}};
    const Dim any_mode{"fulfillment_mode", generate::catalog::FulfillmentModes()};
    const Dim platform{"platform", generate::catalog::Platforms()};
    const Dim segment{"customer_segment", generate::catalog::Segments()};
    return std::vector<CausePlan>{
        {Cause::BATCHING_EXPANSION,
         0.15,
         {{region},
          {busy_types},
          {region, busy_types},
          {region, any_daypart},
          {region, restaurant, meal}}},
        {Cause::DASHER_SUPPLY_SHORTAGE, 0.2, {{region}, {region, any_daypart}}},
        {Cause::MERCHANT_PREP_DELAY,
         0.25,
         {{Dim{"merchant", restaurant_chains}},
          {region, Dim{"merchant", restaurant_chains}},
          {Dim{"merchant", restaurant_chains}, meal},
          {region, restaurant},
          {region, restaurant, meal}}},
        {Cause::INVENTORY_FEED_OUTAGE,
         0.08,
         {{stocked_types},
          {region, Dim{"store_type", {"grocery", "convenience"}}},
          {Dim{"merchant", stocked_chains}},
          {region, Dim{"merchant", grocery_chains}},
          {region, grocery, any_mode}}},
        {Cause::SUBSTITUTION_MODEL_REGRESSION,
         0.45,
         {{grocery},
          {region, grocery},
          {dasher_shop},
          {region, dasher_shop},
          {Dim{"merchant", grocery_chains}},
          {region, grocery, dasher_shop}}},
        {Cause::ETA_UNDERESTIMATION,
         0.08,
         {{region},
          {busy_types},
          {region, busy_types},
          {region, any_daypart},
          {region, restaurant, meal}}},
        {Cause::APP_RELEASE_REGRESSION,
         0.015,
         {{platform}, {platform, region}, {platform, segment}, {platform, region, segment}}},
        {Cause::SEVERE_WEATHER, 0.2, {{region}}},
        {Cause::DEMAND_SURGE,
         0.2,
         {{region}, {region, any_daypart}, {region, busy_types}, {region, restaurant, meal}}},
        {Cause::DELIVERY_RADIUS_EXPANSION, 0.3, {{region}, {busy_types}, {region, busy_types}}},
    };
  }();
  return plans;
}

const CausePlan& PlanOf(Cause cause) {
  for (const auto& plan : Plans()) {
    if (plan.cause == cause) return plan;
  }
  throw InternalError("no random-world plan for cause {}", generate::CauseName(cause));
}

bool ShapeFits(const Shape& shape, const Slice& slice) {
  if (shape.size() != slice.size()) return false;
  for (const auto& dim : shape) {
    const auto it = slice.find(dim.dimension);
    if (it == slice.end()) return false;
    if (!dim.values.empty() &&
        std::find(dim.values.begin(), dim.values.end(), it->second) == dim.values.end()) {
      return false;
    }
  }
  return true;
}

int IndexIn(const std::vector<std::string>& values, const Slice& slice, const char* dimension) {
  const auto it = slice.find(dimension);
  if (it == slice.end()) return -1;
  const auto found = std::find(values.begin(), values.end(), it->second);
  if (found == values.end()) {
    throw InternalError("slice value '{}' is not a {} of the world", it->second, dimension);
  }
  return static_cast<int>(found - values.begin());
}

int DaypartOfHour(int hour) {
  if (hour >= 6 && hour < 10) return generate::BREAKFAST;
  if (hour >= 10 && hour < 14) return generate::LUNCH;
  if (hour >= 14 && hour < 17) return generate::AFTERNOON;
  if (hour >= 17 && hour < 21) return generate::DINNER;
  return generate::LATE_NIGHT;
}

// Share of a store type's orders in a daypart over a mean week (5 weekdays, 2 weekend days).
double DaypartShare(const generate::World& world, int type, int daypart) {
  double share = 0;
  for (int weekend = 0; weekend < 2; ++weekend) {
    const auto& cdf = world.hour_cdf[static_cast<size_t>(weekend)][static_cast<size_t>(type)];
    double in = 0;
    for (int hour = 0; hour < 24; ++hour) {
      if (DaypartOfHour(hour) != daypart) continue;
      in += cdf[static_cast<size_t>(hour)] - (hour == 0 ? 0.0 : cdf[static_cast<size_t>(hour - 1)]);
    }
    share += in * (weekend == 1 ? 2.0 : 5.0) / 7.0;
  }
  return share;
}

// Rounds to `digits` decimals; dividing by a power of ten (not multiplying by 0.001) gives the
// double nearest the decimal, which YAML then shows as written (0.205, not 0.20500000000000002).
double Round(double x, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(x * scale) / scale;
}

std::optional<Slice> DrawSlice(KeyedRng& rng, const CausePlan& plan, const generate::World& world,
                               const Scenario& scenario, const std::string& region,
                               const std::vector<Slice>& taken) {
  for (int attempt = 0; attempt < SLICE_ATTEMPTS; ++attempt) {
    const Shape& shape = plan.shapes[rng.Below(plan.shapes.size())];
    Slice slice;
    for (const auto& dim : shape) {
      if (dim.dimension == "region" && !region.empty()) {
        slice[dim.dimension] = region;
        continue;
      }
      const std::vector<std::string>& values = dim.values.empty() ? scenario.regions : dim.values;
      slice[dim.dimension] = values[rng.Below(values.size())];
    }
    if (std::find(taken.begin(), taken.end(), slice) != taken.end()) continue;
    if (ExpectedSliceOrders(world, slice) >= MIN_SLICE_ORDERS_PER_DAY) return slice;
  }
  return std::nullopt;
}

}  // namespace

double MinRandomMagnitude(Cause cause) {
  return PlanOf(cause).min_magnitude;
}

bool SliceFitsCause(Cause cause, const Slice& slice) {
  const CausePlan& plan = PlanOf(cause);
  return std::any_of(plan.shapes.begin(), plan.shapes.end(),
                     [&](const Shape& shape) { return ShapeFits(shape, slice); });
}

double ExpectedSliceOrders(const generate::World& world, const Slice& slice) {
  std::vector<std::string> regions;
  for (const auto& profile : world.regions) regions.push_back(profile.name);
  const int region = IndexIn(regions, slice, "region");
  const int type = IndexIn(generate::catalog::StoreTypes(), slice, "store_type");
  const int merchant = IndexIn(generate::catalog::Merchants(), slice, "merchant");
  const int mode = IndexIn(generate::catalog::FulfillmentModes(), slice, "fulfillment_mode");
  const int daypart = IndexIn(generate::catalog::Dayparts(), slice, "daypart");
  const int platform = IndexIn(generate::catalog::Platforms(), slice, "platform");
  const int segment = IndexIn(generate::catalog::Segments(), slice, "customer_segment");
  double share = 0;
  for (size_t r = 0; r < world.regions.size(); ++r) {
    if (region >= 0 && static_cast<int>(r) != region) continue;
    const double region_share = world.regions[r].demand_weight / world.region_cdf.back();
    for (int t = 0; t < 5; ++t) {
      if (type >= 0 && t != type) continue;
      double popular = 0, matching = 0;
      for (int s : world.stores_by[r][static_cast<size_t>(t)]) {
        const generate::Store& store = world.stores[static_cast<size_t>(s)];
        popular += store.popularity;
        if ((merchant < 0 || store.merchant == merchant) && (mode < 0 || store.mode == mode)) {
          matching += store.popularity;
        }
      }
      if (popular <= 0) continue;
      const double in_daypart = daypart < 0 ? 1.0 : DaypartShare(world, t, daypart);
      share += region_share * world.type_weight[static_cast<size_t>(t)] * matching / popular *
               in_daypart;
    }
  }
  if (platform >= 0) share *= PLATFORM_SHARE[platform];
  if (segment >= 0) share *= SEGMENT_SHARE[segment];
  // The weekly profile averages to one, so the scenario's orders_per_day is the mean day.
  return share * world.orders_per_day;
}

Scenario DrawScenario(uint64_t seed, int index, int days, int64_t orders_per_day) {
  KeyedRng rng(seed, DRAW_STREAM, static_cast<uint64_t>(index));
  Scenario scenario;
  scenario.name = fmt::format("random-{}-{:03d}", seed, index);
  // The world's own seed: keyed by (seed, index), within the scenario file's 0..2^63-1.
  scenario.seed = generate::KeyOf(seed, DRAW_STREAM, static_cast<uint64_t>(index), 1) >> 1;
  scenario.start_date =
      generate::DaysFromCivil(2025, 1, 1) + static_cast<int32_t>(rng.Below(START_YEARS_DAYS));
  scenario.days = days;
  scenario.orders_per_day = orders_per_day;
  // A subset of the default metros, in their usual order: fewer regions, more orders each.
  std::vector<std::string> regions = generate::DefaultRegions();
  const int n_regions =
      static_cast<int>(rng.Between(MIN_REGIONS, static_cast<int64_t>(regions.size())));
  while (static_cast<int>(regions.size()) > n_regions) {
    regions.erase(regions.begin() + static_cast<std::ptrdiff_t>(rng.Below(regions.size())));
  }
  scenario.regions = regions;
  scenario.decoy_changes = static_cast<int>(rng.Between(0, MAX_DECOYS));
  scenario.noise =
      std::clamp(Round(NOISE_LO + (NOISE_HI - NOISE_LO) * rng.Uniform(), 2), NOISE_LO, NOISE_HI);
  const generate::World world = generate::BuildWorld(scenario);

  // Causes in a random order; each world's incidents have different causes and slices, so that
  // every injected incident has one right answer.
  std::vector<Cause> causes = generate::AllCauses();
  for (size_t i = causes.size() - 1; i > 0; --i) {
    std::swap(causes[i], causes[rng.Below(i + 1)]);
  }
  const int first_start = days / 2;
  const int last_start = days - MIN_INCIDENT_DAYS;
  const int n_incidents = rng.Bernoulli(P_TWO_INCIDENTS) ? 2 : 1;
  std::vector<Slice> taken;
  size_t next_cause = 0;
  for (int k = 0; k < n_incidents; ++k) {
    const bool overlap = k > 0 && rng.Bernoulli(P_OVERLAP);
    std::string region;
    if (overlap && scenario.incidents[0].slice.contains("region")) {
      region = scenario.incidents[0].slice.at("region");
    }
    std::optional<Slice> slice;
    const CausePlan* plan = nullptr;
    while (!slice && next_cause < causes.size()) {
      plan = &PlanOf(causes[next_cause++]);
      slice = DrawSlice(rng, *plan, world, scenario, region, taken);
      // An overlap in place that no slice of the cause can keep becomes one in time only.
      if (!slice && !region.empty()) slice = DrawSlice(rng, *plan, world, scenario, "", taken);
    }
    if (!slice) {
      throw InvalidInput(
          "--random: no cause finds a slice of {} orders a day in a world of {} orders a day; "
          "use a larger --orders-per-day",
          MIN_SLICE_ORDERS_PER_DAY, orders_per_day);
    }
    Incident incident;
    incident.cause = plan->cause;
    incident.id =
        fmt::format("{}-{}", static_cast<char>('a' + k), generate::CauseName(plan->cause));
    incident.slice = *slice;
    incident.start_day = static_cast<int>(rng.Between(first_start, last_start));
    if (overlap) {
      incident.start_day = std::clamp(
          scenario.incidents[0].start_day +
              static_cast<int>(rng.Between(-MAX_OVERLAP_SHIFT_DAYS, MAX_OVERLAP_SHIFT_DAYS)),
          first_start, last_start);
    }
    // An incident that ends does so at least two days before the data does.
    if (rng.Bernoulli(P_ENDS) && incident.start_day + MIN_INCIDENT_DAYS <= days - 2) {
      incident.end_day =
          static_cast<int>(rng.Between(incident.start_day + MIN_INCIDENT_DAYS, days - 2));
    }
    const double lo = plan->min_magnitude;
    const double hi = generate::DefaultMagnitude(plan->cause);
    incident.magnitude = std::clamp(Round(lo + (hi - lo) * rng.Uniform(), 3), lo, hi);
    incident.log_change = generate::IsInternalCause(plan->cause) && !rng.Bernoulli(P_UNLOGGED);
    taken.push_back(incident.slice);
    scenario.incidents.push_back(std::move(incident));
  }
  return scenario;
}

std::vector<Scenario> DrawScenarios(const RandomWorlds& request) {
  if (request.count < 1 || request.count > MAX_RANDOM_WORLDS) {
    throw InvalidInput("--random: {} is out of range; allowed: 1..{}", request.count,
                       MAX_RANDOM_WORLDS);
  }
  if (request.seed > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    throw InvalidInput("--seed: {} is out of range; allowed: 0..{}", request.seed,
                       std::numeric_limits<int64_t>::max());
  }
  // Incidents start in the second half and last a week, so 28 days is the least that fits.
  if (request.days < 28 || request.days > 3660) {
    throw InvalidInput("--days: {} is out of range for --random; allowed: 28..3660", request.days);
  }
  if (request.orders_per_day < MIN_RANDOM_ORDERS_PER_DAY || request.orders_per_day > 5'000'000) {
    throw InvalidInput(
        "--orders-per-day: {} is out of range for --random; allowed: {}..5000000 (each incident's "
        "slice keeps at least {} orders a day)",
        request.orders_per_day, MIN_RANDOM_ORDERS_PER_DAY, MIN_SLICE_ORDERS_PER_DAY);
  }
  std::vector<Scenario> scenarios;
  for (int i = 0; i < request.count; ++i) {
    scenarios.push_back(DrawScenario(request.seed, i, request.days, request.orders_per_day));
  }
  return scenarios;
}

std::string ScenarioYaml(const Scenario& scenario) {
  std::string text = fmt::format(
      "# Drawn by cxagent evaluate --random (docs/evaluate.md): a world nobody tuned on.\n"
      "name: {}\nseed: {}\nstart_date: {}\ndays: {}\norders_per_day: {}\nregions: [",
      scenario.name, scenario.seed, generate::FormatDate(scenario.start_date), scenario.days,
      scenario.orders_per_day);
  for (size_t i = 0; i < scenario.regions.size(); ++i) {
    text += (i == 0 ? "" : ", ") + scenario.regions[i];
  }
  // fmt's "{}" of a double is the shortest text that reads back to the same double.
  text += fmt::format("]\ndecoy_changes: {}\nnoise: {}\nincidents:\n", scenario.decoy_changes,
                      scenario.noise);
  for (const auto& incident : scenario.incidents) {
    std::string slice;
    for (const auto& [dimension, value] : incident.slice) {
      slice += fmt::format("{}{}: {}", slice.empty() ? "" : ", ", dimension, value);
    }
    text += fmt::format("  - {{id: {}, cause: {}, slice: {{{}}}, start_day: {}", incident.id,
                        generate::CauseName(incident.cause), slice, incident.start_day);
    if (incident.end_day) text += fmt::format(", end_day: {}", *incident.end_day);
    text += fmt::format(", magnitude: {}", incident.magnitude);
    if (generate::IsInternalCause(incident.cause)) {
      text += fmt::format(", log_change: {}", incident.log_change ? "true" : "false");
    }
    text += "}\n";
  }
  return text;
}

}  // namespace cxagent::evaluate
