#include "generate/world.hpp"

#include <algorithm>
#include <cmath>

#include "generate/catalog.hpp"
#include "generate/random.hpp"

namespace cxagent::generate {

namespace {

// Regional profiles loosely follow each metro's size, cycling/scooter culture and climate (rain
// days per year, winter snow). Unknown region ids get a profile derived from their name.
RegionProfile ProfileFor(const std::string& name, uint64_t seed) {
  struct Known {
    const char* name;
    double weight, bike, scooter, rain;
    bool cold;
  };
  static const Known known[] = {
      {"bay_area", 1.0, 0.18, 0.12, 0.07, false}, {"los_angeles", 1.2, 0.08, 0.10, 0.03, false},
      {"seattle", 0.8, 0.15, 0.08, 0.20, false},  {"chicago", 1.0, 0.10, 0.06, 0.10, true},
      {"new_york", 1.5, 0.35, 0.15, 0.10, true},  {"boston", 0.7, 0.20, 0.08, 0.10, true},
      {"austin", 0.6, 0.06, 0.10, 0.06, false},   {"atlanta", 0.7, 0.05, 0.08, 0.09, false},
  };
  RegionProfile profile;
  profile.name = name;
  for (const auto& k : known) {
    if (name == k.name) {
      profile.demand_weight = k.weight;
      profile.bike_share = k.bike;
      profile.scooter_share = k.scooter;
      profile.rain_rate = k.rain;
      profile.cold = k.cold;
      return profile;
    }
  }
  uint64_t h = 1469598103934665603ULL;
  for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  KeyedRng rng(seed, 0x5eed, h);
  profile.demand_weight = 0.5 + rng.Uniform();
  profile.bike_share = 0.05 + 0.2 * rng.Uniform();
  profile.scooter_share = 0.05 + 0.1 * rng.Uniform();
  profile.rain_rate = 0.03 + 0.12 * rng.Uniform();
  profile.cold = rng.Bernoulli(0.4);
  return profile;
}

double Bump(double hour, double center, double width) {
  double z = (hour - center) / width;
  return std::exp(-0.5 * z * z);
}

// Hourly order shape per store type: restaurants peak at lunch and dinner, grocery is broad with
// an after-work peak, alcohol is an evening business; weekends move breakfast into brunch.
double HourWeight(int type, int hour, bool weekend) {
  double h = hour + 0.5;
  double w = 0;
  switch (type) {
    case RESTAURANT:
      w = 0.15 + (weekend ? 1.3 * Bump(h, 10.5, 1.5) : 0.8 * Bump(h, 8, 1.2)) +
          (weekend ? 2.4 * Bump(h, 12.8, 1.5) : 3.0 * Bump(h, 12.3, 1.1)) +
          4.0 * Bump(h, 18.6, 1.5) + 0.8 * Bump(h, 22.5, 1.4);
      break;
    case GROCERY:
      w = 0.1 + (weekend ? 2.6 : 2.0) * Bump(h, 11.5, 2.5) + 2.5 * Bump(h, 17.5, 2.3);
      break;
    case CONVENIENCE:
      w = 0.25 + 1.0 * Bump(h, 13, 3) + 1.8 * Bump(h, 20.5, 2.5);
      break;
    case PHARMACY:
      w = 0.1 + 2.0 * Bump(h, 11, 3) + 1.5 * Bump(h, 17, 3);
      break;
    default:
      w = 0.05 + 1.0 * Bump(h, 17, 2) + 2.5 * Bump(h, 20.5, 2);
  }
  if (hour >= 1 && hour <= 5) w *= 0.15;
  return w;
}

}  // namespace

bool World::IsWeekend(int day) const {
  return WeekdayOf(start_date + day) >= 5;
}

double World::DayDemand(int day) const {
  static constexpr double WEEKLY[7] = {0.93, 0.91, 0.94, 0.98, 1.08, 1.12, 1.04};
  KeyedRng rng = RngFor(seed, Stream::DAY, static_cast<uint64_t>(day));
  return orders_per_day * WEEKLY[WeekdayOf(start_date + day)] *
         std::exp(0.03 * noise * rng.Normal());
}

double World::ExpectedOrders(int day, int region, int hour) const {
  double share = regions[region].demand_weight / region_cdf.back();
  return DayDemand(day) * share * hour_share[IsWeekend(day) ? 1 : 0][hour];
}

namespace {
// Supply is staffed to run busier at peaks (0.82) than off-peak (0.62): marketplaces accept
// some queueing at lunch and dinner rather than pay idle dashers all day.
double TargetBusy(const World& world, int day, int hour) {
  const auto& share = world.hour_share[world.IsWeekend(day) ? 1 : 0];
  double peak = *std::max_element(share.begin(), share.end());
  return 0.62 + 0.2 * share[hour] / peak;
}
double SupplyNoise(const World& world, int day, int region, int hour) {
  KeyedRng rng = RngFor(world.seed, Stream::SUPPLY, static_cast<uint64_t>(day) * 24 + hour,
                        static_cast<uint64_t>(region));
  return std::exp(0.04 * world.noise * rng.Normal());
}
}  // namespace

double World::BaseDashers(int day, int region, int hour) const {
  double needed = ExpectedOrders(day, region, hour) * DASHER_HOURS_PER_ORDER;
  return std::max(1.0,
                  needed / TargetBusy(*this, day, hour) * SupplyNoise(*this, day, region, hour));
}

double World::BaseBusy(int day, int region, int hour) const {
  return ExpectedOrders(day, region, hour) * DASHER_HOURS_PER_ORDER /
         BaseDashers(day, region, hour);
}

// Background weather is mild (a few percent slower travel) so it shows up in the data like real
// drizzle days without looking like an incident; severe_weather is the cause that hurts.
int World::BaseWeather(int day, int region) const {
  KeyedRng rng =
      RngFor(seed, Stream::WEATHER, static_cast<uint64_t>(day), static_cast<uint64_t>(region));
  double u = rng.Uniform();
  unsigned month = MonthOf(start_date + day);
  bool winter = month == 12 || month <= 2;
  if (regions[region].cold && winter && u < 0.08) return SNOW;
  if (u > 1.0 - regions[region].rain_rate) return RAIN;
  return CLEAR;
}

World BuildWorld(const Scenario& scenario) {
  World world;
  world.seed = scenario.seed;
  world.start_date = scenario.start_date;
  world.days = scenario.days;
  world.orders_per_day = static_cast<double>(scenario.orders_per_day);
  world.noise = scenario.noise;
  double cumulative = 0;
  for (const auto& name : scenario.regions) {
    world.regions.push_back(ProfileFor(name, scenario.seed));
    cumulative += world.regions.back().demand_weight;
    world.region_cdf.push_back(cumulative);
  }
  world.type_weight = {0.62, 0.18, 0.10, 0.05, 0.05};
  for (int weekend = 0; weekend < 2; ++weekend) {
    std::array<double, 24> all{};
    for (int type = 0; type < 5; ++type) {
      double total = 0;
      for (int hour = 0; hour < 24; ++hour) total += HourWeight(type, hour, weekend);
      double running = 0;
      for (int hour = 0; hour < 24; ++hour) {
        double share = HourWeight(type, hour, weekend) / total;
        running += share;
        world.hour_cdf[weekend][type][hour] = running;
        all[hour] += world.type_weight[type] * share;
      }
      world.hour_cdf[weekend][type][23] = 1.0;
    }
    world.hour_share[weekend] = all;
  }

  // Merchants: restaurants spread over ten brands (independents, "local_eats", the largest),
  // grocery over three grocers; each chain has its own typical prep time and shelf accuracy.
  const auto& merchant_type = catalog::MerchantStoreType();
  static constexpr int STORES_PER_TYPE[5] = {40, 10, 6, 4, 4};
  world.stores_by.resize(world.regions.size());
  world.store_cdf.resize(world.regions.size());
  for (size_t r = 0; r < world.regions.size(); ++r) {
    double scale = std::clamp(world.regions[r].demand_weight, 0.5, 1.5);
    int k = 0;
    for (int type = 0; type < 5; ++type) {
      std::vector<int> merchants;
      for (size_t m = 0; m < merchant_type.size(); ++m) {
        if (merchant_type[m] == type) merchants.push_back(static_cast<int>(m));
      }
      int count = std::max(2, static_cast<int>(std::lround(STORES_PER_TYPE[type] * scale)));
      double running = 0;
      for (int s = 0; s < count; ++s, ++k) {
        Store store;
        store.id = static_cast<int32_t>((r + 1) * 10000 + k + 1);
        KeyedRng rng = RngFor(scenario.seed, Stream::STORE, static_cast<uint64_t>(store.id));
        store.region = static_cast<int>(r);
        store.type = type;
        // Spread chains evenly over a region's stores so every chain exists in every region.
        store.merchant = merchants[static_cast<size_t>(s) % merchants.size()];
        if (type == RESTAURANT && rng.Bernoulli(0.3)) store.merchant = merchants.back();
        KeyedRng chain = RngFor(scenario.seed, Stream::STORE, 1'000'000u + store.merchant);
        switch (type) {
          case RESTAURANT:
            store.prep_median_min = (10 + 8 * chain.Uniform()) * rng.LogNormal(1, 0.12);
            store.in_stock_rate = 0.985 + 0.012 * rng.Uniform();
            store.mode = MERCHANT_PICK;
            break;
          case GROCERY:
            store.prep_median_min = 6 + 3 * chain.Uniform();
            store.in_stock_rate = 0.90 + 0.05 * chain.Uniform() + 0.02 * rng.Uniform();
            store.mode = rng.Bernoulli(0.7) ? DASHER_SHOP : MERCHANT_PICK;
            break;
          case CONVENIENCE:
            store.prep_median_min = 4 + 2 * chain.Uniform();
            store.in_stock_rate = 0.94 + 0.04 * rng.Uniform();
            store.mode = rng.Bernoulli(0.2) ? DASHER_SHOP : MERCHANT_PICK;
            break;
          case PHARMACY:
            store.prep_median_min = 6 + 3 * chain.Uniform();
            store.in_stock_rate = 0.95 + 0.04 * rng.Uniform();
            store.mode = MERCHANT_PICK;
            break;
          default:
            store.prep_median_min = 4 + 2 * chain.Uniform();
            store.in_stock_rate = 0.96 + 0.03 * rng.Uniform();
            store.mode = MERCHANT_PICK;
        }
        store.feed_lag_hours = rng.LogNormal(2.0, 0.6);
        store.popularity = rng.LogNormal(1.0, 0.7);
        running += store.popularity;
        world.stores_by[r][type].push_back(static_cast<int>(world.stores.size()));
        world.store_cdf[r][type].push_back(running);
        world.stores.push_back(store);
      }
    }
  }
  double orders_total = world.orders_per_day * scenario.days;
  world.customers_per_region = std::max<int64_t>(
      2000, static_cast<int64_t>(orders_total / 6.0 / static_cast<double>(world.regions.size())));
  double peak_share =
      std::max(*std::max_element(world.hour_share[0].begin(), world.hour_share[0].end()),
               *std::max_element(world.hour_share[1].begin(), world.hour_share[1].end()));
  world.dashers_per_region = std::max<int64_t>(
      50, static_cast<int64_t>(world.orders_per_day * peak_share * DASHER_HOURS_PER_ORDER /
                               static_cast<double>(world.regions.size()) * 3.0));
  return world;
}

}  // namespace cxagent::generate
