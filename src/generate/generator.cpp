#include "generate/generator.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/error.hpp"
#include "generate/catalog.hpp"
#include "generate/mechanisms.hpp"
#include "generate/random.hpp"
#include "generate/world.hpp"

namespace cxagent::generate {

using storage::Column;
using storage::ColumnType;
using storage::Table;

namespace {

constexpr int64_t MICROS_PER_MINUTE = 60'000'000;
constexpr int64_t MICROS_PER_DAY = 86'400'000'000;
// Order ids: day block of 1e10; base orders count up from the block start, orders added by a
// demand_surge incident live in their own sub-block per (incident, copy), so removing an incident
// never renumbers anybody else's orders.
constexpr int64_t DAY_BLOCK = 10'000'000'000;
constexpr int64_t SURGE_BLOCK = 10'000'000;
constexpr int MAX_SURGE_COPIES = 4;

Column& Add(Table& table, const char* name, ColumnType type,
            const std::vector<std::string>* dictionary = nullptr) {
  Column& column = table.AddColumn(name, type);
  if (dictionary != nullptr) column.dictionary = *dictionary;
  return column;
}

double Round2(double x) {
  return std::round(x * 100.0) / 100.0;
}

// A slice compiled to indices: -1 means the dimension is free.
struct Matcher {
  int region = -1, store_type = -1, merchant = -1, platform = -1, segment = -1, daypart = -1,
      mode = -1;
  bool order_level = false;  // constrains platform, segment or daypart (not a store property)

  bool MatchesStore(const Store& store) const {
    return (region < 0 || region == store.region) && (store_type < 0 || store_type == store.type) &&
           (merchant < 0 || merchant == store.merchant) && (mode < 0 || mode == store.mode);
  }
  bool Matches(const Store& store, int order_platform, int order_segment, int order_daypart) const {
    return MatchesStore(store) && (platform < 0 || platform == order_platform) &&
           (segment < 0 || segment == order_segment) && (daypart < 0 || daypart == order_daypart);
  }
};

int IndexOf(const std::vector<std::string>& values, const std::string& value) {
  auto it = std::find(values.begin(), values.end(), value);
  return it == values.end() ? -1 : static_cast<int>(it - values.begin());
}

Matcher Compile(const Slice& slice, const std::vector<std::string>& regions) {
  Matcher m;
  for (const auto& [dimension, value] : slice) {
    if (dimension == "region") m.region = IndexOf(regions, value);
    if (dimension == "store_type") m.store_type = IndexOf(catalog::StoreTypes(), value);
    if (dimension == "merchant") m.merchant = IndexOf(catalog::Merchants(), value);
    if (dimension == "platform") m.platform = IndexOf(catalog::Platforms(), value);
    if (dimension == "customer_segment") m.segment = IndexOf(catalog::Segments(), value);
    if (dimension == "daypart") m.daypart = IndexOf(catalog::Dayparts(), value);
    if (dimension == "fulfillment_mode") m.mode = IndexOf(catalog::FulfillmentModes(), value);
  }
  m.order_level = m.platform >= 0 || m.segment >= 0 || m.daypart >= 0;
  return m;
}

struct ActiveIncident {
  const Incident* incident;
  int index;  // position in the scenario file, stable under --without
  Matcher matcher;
  bool ActiveOn(int day) const {
    return day >= incident->start_day && (!incident->end_day || day < *incident->end_day);
  }
};

// How the incidents acting on one order change the inputs of the mechanisms. Overlapping
// incidents combine: probabilities add, factors multiply.
struct Effects {
  double batch_extra = 0;
  double supply_factor = 1;  // dashers available to the order's slice, relative
  double demand_factor = 1;  // demand competing for them, relative
  double prep_slowdown = 0;
  double stock_drop = 0;
  double acceptance_factor = 1;
  double quote_shrink = 0;
  double app_error_extra = 0;
  double weather_travel = 0;
  bool severe_weather = false;
  double radius_stretch = 0;
};

// Severe weather takes dashers off the road too: up to 40% fewer at the largest magnitudes.
double WeatherSupplyLoss(double magnitude) {
  return std::min(0.4, 0.3 * magnitude);
}

void ApplyIncident(const Incident& incident, Effects& e) {
  double m = incident.magnitude;
  switch (incident.cause) {
    case Cause::BATCHING_EXPANSION:
      e.batch_extra += m;
      break;
    case Cause::DASHER_SUPPLY_SHORTAGE:
      e.supply_factor *= 1.0 - m;
      break;
    case Cause::MERCHANT_PREP_DELAY:
      e.prep_slowdown = (1 + e.prep_slowdown) * (1 + m) - 1;
      break;
    case Cause::INVENTORY_FEED_OUTAGE:
      e.stock_drop += m;
      break;
    case Cause::SUBSTITUTION_MODEL_REGRESSION:
      e.acceptance_factor *= 1.0 - m;
      break;
    case Cause::ETA_UNDERESTIMATION:
      e.quote_shrink = 1 - (1 - e.quote_shrink) * (1 - m);
      break;
    case Cause::APP_RELEASE_REGRESSION:
      e.app_error_extra += m;
      break;
    case Cause::SEVERE_WEATHER:
      e.severe_weather = true;
      e.weather_travel += m;
      e.supply_factor *= 1.0 - WeatherSupplyLoss(m);
      break;
    case Cause::DEMAND_SURGE:
      e.demand_factor *= 1.0 + m;
      break;
    case Cause::DELIVERY_RADIUS_EXPANSION:
      e.radius_stretch = (1 + e.radius_stretch) * (1 + m) - 1;
      // Longer trips tie each dasher up longer: about half of a task is the drive.
      e.demand_factor *= 1.0 + 0.5 * m;
      break;
  }
}

int SevereWeatherKind(const World& world, int day, int region) {
  unsigned month = MonthOf(world.start_date + day);
  bool winter = month >= 11 || month <= 3;
  return world.regions[region].cold && winter ? SNOW : RAIN;
}

double WeatherTravelFactor(int weather) {
  return weather == SNOW ? 1.08 : weather == RAIN ? 1.04 : 1.0;
}
double WeatherSupplyFactor(int weather) {
  return weather == CLEAR ? 1.0 : 0.97;
}

// Categories each store type lists, and how each category's shelf accuracy differs (fresh
// produce and meat run out more often than pantry goods).
const std::vector<int>& CategoriesOf(int type) {
  static const std::vector<int> by_type[5] = {
      {PREPARED},
      {PRODUCE, DAIRY, MEAT, FROZEN, PANTRY, HOUSEHOLD},
      {PANTRY, HOUSEHOLD, FROZEN, DAIRY, PREPARED},
      {HOUSEHOLD, PANTRY},
      {PANTRY},
  };
  return by_type[type];
}
constexpr double CATEGORY_STOCK_ADJ[7] = {-0.02, -0.005, -0.012, 0.004, 0.008, 0.006, 0.0};
constexpr double CATEGORY_WEIGHT[5][7] = {
    {0, 0, 0, 0, 0, 0, 1},
    {0.25, 0.18, 0.12, 0.10, 0.25, 0.10, 0},
    {0, 0.15, 0, 0.15, 0.40, 0.20, 0.10},
    {0, 0, 0, 0, 0.3, 0.7, 0},
    {0, 0, 0, 0, 1, 0, 0},
};
constexpr double PRICE_MEDIAN[7] = {3.5, 4.5, 9.0, 6.0, 4.0, 7.0, 12.0};

struct InventoryCell {
  double actual = 0, listed = 0, lag = 0;
};

InventoryCell BaseInventory(const World& world, const Store& store, int category, int day) {
  KeyedRng rng = RngFor(world.seed, Stream::INVENTORY,
                        static_cast<uint64_t>(store.id) * 8 + static_cast<uint64_t>(category),
                        static_cast<uint64_t>(day));
  InventoryCell cell;
  cell.actual = std::clamp(
      store.in_stock_rate + CATEGORY_STOCK_ADJ[category] + 0.008 * world.noise * rng.Normal(), 0.5,
      0.999);
  cell.lag = store.feed_lag_hours * rng.LogNormal(1.0, 0.3);
  cell.listed = std::min(0.999, cell.actual + 0.015 + 0.002 * cell.lag);
  return cell;
}

struct OrderContext {
  int64_t id = 0;
  int64_t created_us = 0;
  int64_t customer = 0;
  int store = 0;
  int hour = 0;
  int daypart = 0;
  int segment = 0;
  int platform = 0;
  int n_lines = 1;
};

int DaypartOf(int hour) {
  if (hour >= 6 && hour < 10) return BREAKFAST;
  if (hour >= 10 && hour < 14) return LUNCH;
  if (hour >= 14 && hour < 17) return AFTERNOON;
  if (hour >= 17 && hour < 21) return DINNER;
  return LATE_NIGHT;
}

template <typename Array>
size_t PickCdf(const Array& cdf, size_t n, double u) {
  double target = u * cdf[n - 1];
  size_t lo = 0, hi = n - 1;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (cdf[mid] > target) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

int LinesFor(KeyedRng& rng, int type) {
  switch (type) {
    case RESTAURANT:
      return static_cast<int>(rng.Between(1, 4)) + (rng.Bernoulli(0.2) ? 1 : 0);
    case GROCERY:
      return static_cast<int>(std::clamp(std::lround(rng.LogNormal(9.0, 0.5)), 3L, 40L));
    case CONVENIENCE:
      return static_cast<int>(rng.Between(1, 6));
    case PHARMACY:
      return static_cast<int>(rng.Between(1, 3));
    default:
      return static_cast<int>(rng.Between(1, 4));
  }
}

OrderContext BaseOrder(const World& world, int day, int64_t index) {
  OrderContext o;
  o.id = (day + 1) * DAY_BLOCK + index;
  KeyedRng rng = RngFor(world.seed, Stream::ORDER_CONTEXT, static_cast<uint64_t>(o.id));
  int weekend = world.IsWeekend(day) ? 1 : 0;
  double u_type = rng.Uniform();
  int type = 0;
  for (double acc = world.type_weight[0]; type < 4 && u_type >= acc;
       acc += world.type_weight[++type]) {
  }
  o.hour = static_cast<int>(PickCdf(world.hour_cdf[weekend][type], 24, rng.Uniform()));
  int64_t second = static_cast<int64_t>(rng.Below(3600));
  int region = static_cast<int>(PickCdf(world.region_cdf, world.region_cdf.size(), rng.Uniform()));
  const auto& cdf = world.store_cdf[region][type];
  o.store = world.stores_by[region][type][PickCdf(cdf, cdf.size(), rng.Uniform())];
  // Frequent customers order far more often than occasional ones (u^2 concentrates on low ids).
  double u_customer = rng.Uniform();
  o.customer = (region + 1) * 1'000'000'000LL +
               static_cast<int64_t>(
                   u_customer * u_customer *
                   static_cast<double>(std::min<int64_t>(world.customers_per_region, 999'999'999)));
  KeyedRng customer = RngFor(world.seed, Stream::CUSTOMER, static_cast<uint64_t>(o.customer));
  double u_segment = customer.Uniform();
  o.segment = u_segment < 0.12 ? SEG_NEW : u_segment < 0.72 ? SEG_RETURNING : SEG_MEMBER;
  double u_platform = customer.Uniform();
  o.platform = u_platform < 0.5 ? 0 : u_platform < 0.85 ? 1 : 2;
  o.daypart = DaypartOf(o.hour);
  o.n_lines = LinesFor(rng, type);
  o.created_us = (static_cast<int64_t>(world.start_date) + day) * MICROS_PER_DAY +
                 (o.hour * 3600LL + second) * 1'000'000LL;
  return o;
}

// Per-table column handles for one day's chunk, so the hot loop appends without lookups.
struct DayWriter {
  WorldTables t;
  // Column storage addresses, resolved once per day: Table keeps its columns in a container
  // whose indexing is not free in the hot loop.
  std::vector<std::vector<std::vector<int64_t>*>> ints;
  std::vector<std::vector<std::vector<double>*>> doubles;
  explicit DayWriter(const std::vector<std::string>& regions) : t(MakeEmptyTables(regions)) {
    for (size_t k = 0; k < WorldTables::TableNames().size(); ++k) {
      ints.emplace_back();
      doubles.emplace_back();
      for (auto& column : t.At(k).columns) {
        ints.back().push_back(&column.ints);
        doubles.back().push_back(&column.doubles);
      }
    }
  }
  std::vector<int64_t>& I(size_t table, size_t c) { return *ints[table][c]; }
  std::vector<double>& D(size_t table, size_t c) { return *doubles[table][c]; }
};

WorldTables GenerateDay(const World& world, const std::vector<ActiveIncident>& incidents, int day,
                        const std::vector<std::string>& region_names) {
  DayWriter w(region_names);
  WorldTables& t = w.t;
  std::vector<const ActiveIncident*> active;
  for (const auto& incident : incidents) {
    if (incident.ActiveOn(day)) active.push_back(&incident);
  }
  const size_t n_regions = world.regions.size();

  // --- Orders: base demand, then the orders a demand surge adds, then time order.
  int64_t n_orders = std::min<int64_t>(SURGE_BLOCK - 1, std::llround(world.DayDemand(day)));
  std::vector<OrderContext> orders;
  orders.reserve(static_cast<size_t>(n_orders * 11 / 10));
  for (int64_t i = 0; i < n_orders; ++i) orders.push_back(BaseOrder(world, day, i));
  for (const auto* a : active) {
    if (a->incident->cause != Cause::DEMAND_SURGE) continue;
    double m = a->incident->magnitude;
    for (int64_t i = 0; i < n_orders; ++i) {
      // A copy: push_back below may reallocate `orders`.
      const OrderContext base = orders[static_cast<size_t>(i)];
      if (!a->matcher.Matches(world.stores[base.store], base.platform, base.segment, base.daypart))
        continue;
      KeyedRng rng = RngFor(world.seed, Stream::SURGE, static_cast<uint64_t>(base.id),
                            static_cast<uint64_t>(a->index));
      int copies = static_cast<int>(m) + (rng.Uniform() < m - std::floor(m) ? 1 : 0);
      for (int k = 0; k < std::min(copies, MAX_SURGE_COPIES); ++k) {
        // A surge order repeats an in-slice order's context (same store, customer cohort and
        // hour) at another minute, so it falls in the incident's slice by construction.
        OrderContext extra = base;
        extra.id = (day + 1) * DAY_BLOCK + (1 + a->index * MAX_SURGE_COPIES + k) * SURGE_BLOCK + i;
        int64_t hour_start = extra.created_us - extra.created_us % 3'600'000'000LL;
        extra.created_us = hour_start + static_cast<int64_t>(rng.Below(3600)) * 1'000'000LL;
        orders.push_back(extra);
      }
    }
  }
  std::sort(orders.begin(), orders.end(), [](const OrderContext& a, const OrderContext& b) {
    return a.created_us != b.created_us ? a.created_us < b.created_us : a.id < b.id;
  });

  // --- Region-hour supply plan and the day's weather.
  std::vector<double> base_busy(n_regions * 24);
  std::vector<int> weather(n_regions);
  for (size_t r = 0; r < n_regions; ++r) {
    weather[r] = world.BaseWeather(day, static_cast<int>(r));
    for (int h = 0; h < 24; ++h) {
      base_busy[r * 24 + h] =
          world.BaseBusy(day, static_cast<int>(r), h) / WeatherSupplyFactor(weather[r]);
    }
  }

  // --- Inventory of the day (also the in-stock rates orders see).
  std::vector<InventoryCell> inventory(world.stores.size() * 7);
  {
    for (size_t s = 0; s < world.stores.size(); ++s) {
      const Store& store = world.stores[s];
      for (int category : CategoriesOf(store.type)) {
        InventoryCell cell = BaseInventory(world, store, category, day);
        inventory[s * 7 + category] = cell;
        InventoryCell shown = cell;
        for (const auto* a : active) {
          if (a->incident->cause != Cause::INVENTORY_FEED_OUTAGE || !a->matcher.MatchesStore(store))
            continue;
          // The feed stops: its age grows by a day per day, the shelf empties, the app still
          // shows the last listed rate.
          shown.lag += 24.0 * (day - a->incident->start_day + 1);
          shown.actual = std::max(0.02, shown.actual - a->incident->magnitude);
        }
        w.I(3, 0).push_back(world.start_date + day);
        w.I(3, 1).push_back(store.id);
        w.I(3, 2).push_back(category);
        w.D(3, 3).push_back(Round2(shown.listed * 100) / 100);
        w.D(3, 4).push_back(Round2(shown.actual * 100) / 100);
        w.D(3, 5).push_back(Round2(shown.lag));
      }
    }
  }

  // --- Counters for supply_hourly: all orders and in-slice orders per region-hour.
  std::vector<int64_t> created(n_regions * 24, 0);
  std::vector<std::vector<int64_t>> in_slice(active.size(),
                                             std::vector<int64_t>(n_regions * 24, 0));

  Table& o_t = t.orders;
  Table& d_t = t.deliveries;
  Table& i_t = t.items;
  Table& s_t = t.support;
  Table& r_t = t.ratings;
  for (auto& c : o_t.columns) {
    if (c.type == ColumnType::DOUBLE) {
      c.doubles.reserve(orders.size());
    } else {
      c.ints.reserve(orders.size());
    }
  }
  o_t.columns[17].valid.reserve(orders.size());

  std::vector<double> line_price;
  std::vector<int> line_category, line_qty;
  std::vector<int64_t> line_sku;
  auto reserve = [](Table& table, size_t rows) {
    for (auto& c : table.columns) {
      if (c.type == ColumnType::DOUBLE) {
        c.doubles.reserve(rows);
      } else if (c.type != ColumnType::VARCHAR || !c.dictionary.empty()) {
        c.ints.reserve(rows);
      }
    }
  };
  reserve(d_t, orders.size());
  reserve(i_t, orders.size() * 9 / 2);
  i_t.columns[7].valid.reserve(orders.size() * 9 / 2);
  reserve(s_t, orders.size() / 16);
  reserve(r_t, orders.size() / 3);
  for (const OrderContext& o : orders) {
    const Store& store = world.stores[o.store];
    const int r = store.region;
    const size_t rh = static_cast<size_t>(r) * 24 + o.hour;
    ++created[rh];
    Effects e;
    for (size_t k = 0; k < active.size(); ++k) {
      if (!active[k]->matcher.Matches(store, o.platform, o.segment, o.daypart)) continue;
      ++in_slice[k][rh];
      ApplyIncident(*active[k]->incident, e);
    }
    const uint64_t oid = static_cast<uint64_t>(o.id);
    const double busy = base_busy[rh] * e.demand_factor / e.supply_factor;
    const int order_weather = e.severe_weather ? SevereWeatherKind(world, day, r) : weather[r];
    const double weather_factor =
        e.severe_weather ? 1.0 + e.weather_travel : WeatherTravelFactor(order_weather);

    // Lines: what was ordered (fixed per order) and what the store had.
    KeyedRng items_rng = RngFor(world.seed, Stream::ORDER_ITEMS, oid);
    double subtotal = 0;
    line_price.assign(static_cast<size_t>(o.n_lines), 0.0);
    line_category.resize(static_cast<size_t>(o.n_lines));
    line_qty.resize(static_cast<size_t>(o.n_lines));
    line_sku.resize(static_cast<size_t>(o.n_lines));
    for (int l = 0; l < o.n_lines; ++l) {
      double u = items_rng.Uniform() * 0.999999;
      int category = 0;
      for (double acc = CATEGORY_WEIGHT[store.type][0]; category < 6 && u >= acc;
           acc += CATEGORY_WEIGHT[store.type][++category]) {
      }
      double uq = items_rng.Uniform();
      int qty = uq < 0.7 ? 1 : uq < 0.92 ? 2 : 3;
      double price = Round2(std::max(0.5, items_rng.LogNormal(PRICE_MEDIAN[category], 0.45)));
      double us = items_rng.Uniform();
      int64_t sku = (category + 1) * 1'000'000LL + static_cast<int64_t>(us * us * 20000.0);
      line_category[l] = category;
      line_qty[l] = qty;
      line_price[l] = price;
      line_sku[l] = sku;
      subtotal += price * qty;
    }
    subtotal = Round2(subtotal);

    // Distance, dispatch and the clock.
    KeyedRng travel_rng = RngFor(world.seed, Stream::ORDER_TRAVEL, oid);
    double distance =
        mechanisms::DeliveryDistance(travel_rng, store.type, e.radius_stretch, world.noise);
    KeyedRng dispatch_rng = RngFor(world.seed, Stream::ORDER_DISPATCH, oid);
    int64_t dasher =
        (r + 1) * 1'000'000LL +
        static_cast<int64_t>(dispatch_rng.Below(static_cast<uint64_t>(world.dashers_per_region)));
    KeyedRng dasher_rng = RngFor(world.seed, Stream::DASHER, static_cast<uint64_t>(dasher));
    double u_vehicle = dasher_rng.Uniform();
    const RegionProfile& profile = world.regions[r];
    int vehicle = u_vehicle < profile.bike_share                           ? BIKE
                  : u_vehicle < profile.bike_share + profile.scooter_share ? SCOOTER
                                                                           : CAR;
    // Bikes do not take long trips: the dispatcher gives those to cars.
    if (distance > 6.0 && vehicle != CAR) vehicle = CAR;
    mechanisms::Batch batch =
        mechanisms::DispatchAndBatch(dispatch_rng, busy, store.type, e.batch_extra);
    double assign = mechanisms::AssignDelay(dispatch_rng, busy, world.noise);
    double to_store = 3.0 + 5.0 * dispatch_rng.Uniform();
    KeyedRng prep_rng = RngFor(world.seed, Stream::ORDER_PREP, oid);
    double prep = 0, shop = 0;
    if (store.mode == DASHER_SHOP) {
      shop = mechanisms::InStoreShopping(prep_rng, o.n_lines, world.noise);
    } else {
      prep = mechanisms::MerchantPrep(prep_rng, store.prep_median_min, store.type, o.n_lines,
                                      e.prep_slowdown, world.noise);
    }
    double arrive = assign + to_store;
    double prep_wait = std::max(0.0, prep - arrive);
    double travel =
        mechanisms::Travel(travel_rng, distance, vehicle, o.hour, weather_factor, world.noise) +
        batch.detour_min;
    double handoff = 1.0 + 2.0 * travel_rng.Uniform();
    double actual = arrive + prep_wait + shop + travel + handoff;
    double expected_busy = base_busy[rh];
    double quoted = mechanisms::QuotedEta(expected_busy, store.prep_median_min, store.type,
                                          store.mode, o.n_lines, distance, o.hour, e.quote_shrink);
    quoted = Round2(quoted);
    actual = Round2(actual);
    double late = Round2(actual - quoted);

    KeyedRng cancel_rng = RngFor(world.seed, Stream::ORDER_CANCEL, oid);
    int cancel = mechanisms::Cancellation(cancel_rng, busy, assign, quoted, e.app_error_extra);
    bool delivered = cancel < 0;

    // orders row
    w.I(0, 0).push_back(o.id);
    w.I(0, 1).push_back(o.created_us);
    w.I(0, 2).push_back(world.start_date + day);
    w.I(0, 3).push_back(r);
    w.I(0, 4).push_back(store.id);
    w.I(0, 5).push_back(store.type);
    w.I(0, 6).push_back(store.merchant);
    w.I(0, 7).push_back(o.customer);
    w.I(0, 8).push_back(o.segment);
    w.I(0, 9).push_back(o.platform);
    w.I(0, 10).push_back(o.daypart);
    w.I(0, 11).push_back(store.mode);
    w.I(0, 12).push_back(o.n_lines);
    w.D(0, 13).push_back(subtotal);
    w.D(0, 14).push_back(Round2(distance));
    w.D(0, 15).push_back(quoted);
    w.I(0, 16).push_back(delivered ? DELIVERED : CANCELLED);
    w.I(0, 17).push_back(delivered ? 0 : cancel);
    o_t.columns[17].valid.push_back(delivered ? 0 : 1);

    int missing = 0, rejected = 0;
    double missing_refund = 0, rejected_refund = 0;
    int64_t delivered_at = o.created_us + static_cast<int64_t>(actual * MICROS_PER_MINUTE);
    if (delivered) {
      w.I(1, 0).push_back(o.id);
      w.I(1, 1).push_back(dasher);
      w.I(1, 2).push_back(vehicle);
      w.I(1, 3).push_back(batch.batched ? 1 : 0);
      w.I(1, 4).push_back(batch.size);
      w.D(1, 5).push_back(Round2(assign));
      w.D(1, 6).push_back(Round2(prep_wait));
      w.D(1, 7).push_back(Round2(shop));
      w.D(1, 8).push_back(Round2(travel));
      w.D(1, 9).push_back(actual);
      w.D(1, 10).push_back(late);
      w.I(1, 11).push_back(delivered_at);
      w.I(1, 12).push_back(order_weather);

      for (int l = 0; l < o.n_lines; ++l) {
        KeyedRng line_rng =
            RngFor(world.seed, Stream::ORDER_ITEMS, oid, static_cast<uint64_t>(l) + 1);
        double in_stock =
            inventory[static_cast<size_t>(o.store) * 7 + line_category[l]].actual - e.stock_drop;
        mechanisms::LineOutcome line = mechanisms::ItemAvailability(
            line_rng, in_stock, store.type, store.mode, e.acceptance_factor);
        double amount = line_price[l] * line_qty[l];
        double refund = 0;
        if (line.status == MISSING) {
          ++missing;
          refund = amount;
          missing_refund += amount;
        } else if (line.status == SUBSTITUTED && !line.accepted) {
          ++rejected;
          refund = amount;
          rejected_refund += amount;
        }
        w.I(2, 0).push_back(o.id);
        w.I(2, 1).push_back(l + 1);
        w.I(2, 2).push_back(line_sku[l]);
        w.I(2, 3).push_back(line_category[l]);
        w.I(2, 4).push_back(line_qty[l]);
        w.D(2, 5).push_back(line_price[l]);
        w.I(2, 6).push_back(line.status);
        w.I(2, 7).push_back(line.accepted ? 1 : 0);
        i_t.columns[7].valid.push_back(line.status == SUBSTITUTED ? 1 : 0);
        w.D(2, 8).push_back(Round2(refund));
      }
    }

    KeyedRng support_rng = RngFor(world.seed, Stream::ORDER_SUPPORT, oid);
    mechanisms::Contact contact = mechanisms::SupportContact(
        support_rng, delivered, cancel, late, missing, Round2(missing_refund), rejected,
        Round2(rejected_refund), subtotal, line_price.empty() ? 0.0 : line_price[0]);
    if (contact.reason >= 0) {
      int64_t anchor =
          delivered
              ? delivered_at
              : o.created_us + static_cast<int64_t>(std::min(assign, 30.0) * MICROS_PER_MINUTE);
      w.I(4, 0).push_back(o.id * 4 + 1);
      w.I(4, 1).push_back(o.id);
      w.I(4, 2).push_back(anchor + static_cast<int64_t>(contact.minutes_after * MICROS_PER_MINUTE));
      w.I(4, 3).push_back(contact.reason);
      w.D(4, 4).push_back(Round2(contact.refund));
    }
    if (delivered) {
      KeyedRng rating_rng = RngFor(world.seed, Stream::ORDER_RATING, oid);
      int stars = mechanisms::Rating(rating_rng, late, missing, rejected, contact.reason >= 0);
      double minutes_after = 5.0 + rating_rng.Exponential(90.0);
      if (stars > 0) {
        w.I(5, 0).push_back(o.id);
        w.I(5, 1).push_back(delivered_at + static_cast<int64_t>(minutes_after * MICROS_PER_MINUTE));
        w.I(5, 2).push_back(stars);
      }
    }
  }

  // --- supply_hourly: the plan, less the dashers incidents took away from their slice's share.
  for (size_t r = 0; r < n_regions; ++r) {
    for (int h = 0; h < 24; ++h) {
      size_t rh = r * 24 + h;
      double dashers =
          world.BaseDashers(day, static_cast<int>(r), h) * WeatherSupplyFactor(weather[r]);
      int region_weather = weather[r];
      for (size_t k = 0; k < active.size(); ++k) {
        const Incident& incident = *active[k]->incident;
        double share = created[rh] == 0 ? 0.0
                                        : static_cast<double>(in_slice[k][rh]) /
                                              static_cast<double>(created[rh]);
        if (incident.cause == Cause::DASHER_SUPPLY_SHORTAGE)
          dashers *= 1.0 - incident.magnitude * share;
        if (incident.cause == Cause::SEVERE_WEATHER) {
          dashers *= 1.0 - WeatherSupplyLoss(incident.magnitude) * share;
          const Matcher& m = active[k]->matcher;
          bool region_wide = m.store_type < 0 && m.merchant < 0 && m.mode < 0 && !m.order_level;
          if (region_wide && (m.region < 0 || m.region == static_cast<int>(r))) {
            region_weather = SevereWeatherKind(world, day, static_cast<int>(r));
          }
        }
      }
      int64_t active_dashers = std::max<int64_t>(1, std::llround(dashers));
      w.I(6, 0).push_back(static_cast<int64_t>(r));
      w.I(6, 1).push_back((static_cast<int64_t>(world.start_date) + day) * MICROS_PER_DAY +
                          h * 3'600'000'000LL);
      w.I(6, 2).push_back(active_dashers);
      w.I(6, 3).push_back(created[rh]);
      w.D(6, 4).push_back(Round2(static_cast<double>(created[rh]) * DASHER_HOURS_PER_ORDER /
                                 static_cast<double>(active_dashers)));
      w.I(6, 5).push_back(region_weather);
    }
  }
  return std::move(w.t);
}

std::string ChangeId(uint64_t seed, std::string_view what) {
  uint64_t h = 1469598103934665603ULL;
  for (char c : what) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return fmt::format("chg-{:06x}",
                     KeyOf(seed, static_cast<uint64_t>(Stream::CHANGE), h) & 0xffffff);
}

// Descriptions written the way engineers log changes; decoys draw from the same phrases so the
// text alone never tells a decoy from a real cause.
std::string ChangeDescription(std::string_view kind, const std::string& scope, KeyedRng& rng) {
  int version = static_cast<int>(rng.Between(2, 9));
  int minor = static_cast<int>(rng.Between(0, 30));
  if (kind == "dispatch_policy")
    return fmt::format("Dispatch: widen batching eligibility (policy v{}.{}) for {}", version,
                       minor, scope);
  if (kind == "eta_model")
    return fmt::format("ETA model v{}.{} rollout for {}", version, minor, scope);
  if (kind == "substitution_model")
    return fmt::format("Substitution recommender v{}.{} rollout for {}", version, minor, scope);
  if (kind == "app_release")
    return fmt::format("Consumer app release {}.{}.0 ({})", version, minor, scope);
  if (kind == "delivery_radius") return fmt::format("Delivery radius expansion for {}", scope);
  if (kind == "pricing") return fmt::format("Service fee test v{} for {}", version, scope);
  if (kind == "merchant_onboarding")
    return fmt::format("Merchant onboarding batch {} for {}", minor, scope);
  return fmt::format("Ops config update #{} for {}", minor * 10 + version, scope);
}

struct ChangeRow {
  std::string id;
  int64_t at = 0;
  std::string kind, scope, description;
};

std::vector<ChangeRow> ChangeRows(const Scenario& scenario,
                                  const std::vector<ActiveIncident>& incidents,
                                  std::vector<IncidentChange>& written) {
  std::vector<ChangeRow> rows;
  for (const auto& a : incidents) {
    const Incident& incident = *a.incident;
    if (!incident.log_change) continue;
    KeyedRng rng = RngFor(scenario.seed, Stream::CHANGE, static_cast<uint64_t>(a.index), 1);
    ChangeRow row;
    row.id = ChangeId(scenario.seed, "incident:" + incident.id);
    row.at = (static_cast<int64_t>(scenario.start_date) + incident.start_day) * MICROS_PER_DAY +
             static_cast<int64_t>(rng.Below(30 * 60)) * 1'000'000LL;
    row.kind = std::string(ChangeKindOf(incident.cause));
    row.scope = SliceText(incident.slice);
    row.description = ChangeDescription(row.kind, row.scope, rng);
    rows.push_back(row);
    written.push_back({incident.id, row.id});
  }
  for (int k = 0; k < scenario.decoy_changes; ++k) {
    KeyedRng rng = RngFor(scenario.seed, Stream::CHANGE, static_cast<uint64_t>(k), 2);
    ChangeRow row;
    row.id = ChangeId(scenario.seed, fmt::format("decoy:{}", k));
    int day = static_cast<int>(rng.Between(std::min(7, scenario.days - 1), scenario.days - 1));
    row.at = (static_cast<int64_t>(scenario.start_date) + day) * MICROS_PER_DAY +
             static_cast<int64_t>(rng.Between(9 * 3600, 18 * 3600)) * 1'000'000LL;
    row.kind = catalog::ChangeKinds()[rng.Below(catalog::ChangeKinds().size())];
    double u_scope = rng.Uniform();
    if (u_scope < 0.4) {
      row.scope = "all";
    } else if (u_scope < 0.7) {
      row.scope = "region=" + scenario.regions[rng.Below(scenario.regions.size())];
    } else if (u_scope < 0.85) {
      row.scope = "platform=" + catalog::Platforms()[rng.Below(3)];
    } else {
      row.scope = "store_type=" + catalog::StoreTypes()[rng.Below(5)];
    }
    row.description = ChangeDescription(row.kind, row.scope, rng);
    rows.push_back(row);
  }
  std::sort(rows.begin(), rows.end(), [](const ChangeRow& a, const ChangeRow& b) {
    return a.at != b.at ? a.at < b.at : a.id < b.id;
  });
  return rows;
}

}  // namespace

const std::vector<std::string>& WorldTables::TableNames() {
  static const std::vector<std::string> names{"orders",        "deliveries", "items",
                                              "inventory",     "support",    "ratings",
                                              "supply_hourly", "change_log"};
  return names;
}

Table& WorldTables::At(size_t index) {
  Table* tables[] = {&orders,  &deliveries, &items,         &inventory,
                     &support, &ratings,    &supply_hourly, &change_log};
  return *tables[index];
}

const Table& WorldTables::At(size_t index) const {
  return const_cast<WorldTables*>(this)->At(index);
}

void WorldTables::AppendRows(WorldTables&& other) {
  for (size_t t = 0; t < TableNames().size(); ++t) {
    Table& mine = At(t);
    Table& theirs = other.At(t);
    size_t before = mine.RowCount();
    for (size_t c = 0; c < mine.columns.size(); ++c) {
      Column& a = mine.columns[c];
      Column& b = theirs.columns[c];
      size_t added = b.Size();
      a.ints.insert(a.ints.end(), b.ints.begin(), b.ints.end());
      a.doubles.insert(a.doubles.end(), b.doubles.begin(), b.doubles.end());
      for (auto& s : b.strings) a.strings.push_back(std::move(s));
      if (!b.valid.empty() || !a.valid.empty()) {
        if (a.valid.empty()) a.valid.assign(before, 1);
        if (b.valid.empty()) {
          a.valid.insert(a.valid.end(), added, 1);
        } else {
          a.valid.insert(a.valid.end(), b.valid.begin(), b.valid.end());
        }
      }
    }
  }
}

WorldTables MakeEmptyTables(const std::vector<std::string>& regions) {
  WorldTables t;
  Table& o = t.orders;
  Add(o, "order_id", ColumnType::BIGINT);
  Add(o, "created_at", ColumnType::TIMESTAMP);
  Add(o, "order_date", ColumnType::DATE);
  Add(o, "region", ColumnType::VARCHAR, &regions);
  Add(o, "store_id", ColumnType::INTEGER);
  Add(o, "store_type", ColumnType::VARCHAR, &catalog::StoreTypes());
  Add(o, "merchant", ColumnType::VARCHAR, &catalog::Merchants());
  Add(o, "customer_id", ColumnType::BIGINT);
  Add(o, "customer_segment", ColumnType::VARCHAR, &catalog::Segments());
  Add(o, "platform", ColumnType::VARCHAR, &catalog::Platforms());
  Add(o, "daypart", ColumnType::VARCHAR, &catalog::Dayparts());
  Add(o, "fulfillment_mode", ColumnType::VARCHAR, &catalog::FulfillmentModes());
  Add(o, "n_items", ColumnType::INTEGER);
  Add(o, "subtotal", ColumnType::DOUBLE);
  Add(o, "distance_km", ColumnType::DOUBLE);
  Add(o, "quoted_eta_min", ColumnType::DOUBLE);
  Add(o, "status", ColumnType::VARCHAR, &catalog::OrderStatuses());
  Add(o, "cancel_reason", ColumnType::VARCHAR, &catalog::CancelReasons());
  Table& d = t.deliveries;
  Add(d, "order_id", ColumnType::BIGINT);
  Add(d, "dasher_id", ColumnType::BIGINT);
  Add(d, "vehicle", ColumnType::VARCHAR, &catalog::Vehicles());
  Add(d, "is_batched", ColumnType::BOOLEAN);
  Add(d, "batch_size", ColumnType::INTEGER);
  Add(d, "assign_delay_min", ColumnType::DOUBLE);
  Add(d, "prep_wait_min", ColumnType::DOUBLE);
  Add(d, "shop_min", ColumnType::DOUBLE);
  Add(d, "travel_min", ColumnType::DOUBLE);
  Add(d, "actual_eta_min", ColumnType::DOUBLE);
  Add(d, "late_min", ColumnType::DOUBLE);
  Add(d, "delivered_at", ColumnType::TIMESTAMP);
  Add(d, "weather", ColumnType::VARCHAR, &catalog::Weathers());
  Table& i = t.items;
  Add(i, "order_id", ColumnType::BIGINT);
  Add(i, "line_no", ColumnType::INTEGER);
  Add(i, "sku", ColumnType::BIGINT);
  Add(i, "category", ColumnType::VARCHAR, &catalog::Categories());
  Add(i, "quantity", ColumnType::INTEGER);
  Add(i, "unit_price", ColumnType::DOUBLE);
  Add(i, "status", ColumnType::VARCHAR, &catalog::ItemStatuses());
  Add(i, "substitution_accepted", ColumnType::BOOLEAN);
  Add(i, "refund_amount", ColumnType::DOUBLE);
  Table& v = t.inventory;
  Add(v, "date", ColumnType::DATE);
  Add(v, "store_id", ColumnType::INTEGER);
  Add(v, "category", ColumnType::VARCHAR, &catalog::Categories());
  Add(v, "listed_in_stock_rate", ColumnType::DOUBLE);
  Add(v, "actual_in_stock_rate", ColumnType::DOUBLE);
  Add(v, "feed_lag_hours", ColumnType::DOUBLE);
  Table& s = t.support;
  Add(s, "ticket_id", ColumnType::BIGINT);
  Add(s, "order_id", ColumnType::BIGINT);
  Add(s, "created_at", ColumnType::TIMESTAMP);
  Add(s, "reason", ColumnType::VARCHAR, &catalog::SupportReasons());
  Add(s, "refund_amount", ColumnType::DOUBLE);
  Table& r = t.ratings;
  Add(r, "order_id", ColumnType::BIGINT);
  Add(r, "rated_at", ColumnType::TIMESTAMP);
  Add(r, "rating", ColumnType::INTEGER);
  Table& h = t.supply_hourly;
  Add(h, "region", ColumnType::VARCHAR, &regions);
  Add(h, "hour", ColumnType::TIMESTAMP);
  Add(h, "active_dashers", ColumnType::INTEGER);
  Add(h, "orders_created", ColumnType::INTEGER);
  Add(h, "busy_ratio", ColumnType::DOUBLE);
  Add(h, "weather", ColumnType::VARCHAR, &catalog::Weathers());
  Table& c = t.change_log;
  Add(c, "change_id", ColumnType::VARCHAR);
  Add(c, "changed_at", ColumnType::TIMESTAMP);
  Add(c, "kind", ColumnType::VARCHAR);
  Add(c, "scope", ColumnType::VARCHAR);
  Add(c, "description", ColumnType::VARCHAR);
  return t;
}

void CheckIncidentId(const Scenario& scenario, const std::string& id) {
  std::vector<std::string> ids;
  for (const auto& incident : scenario.incidents) {
    if (incident.id == id) return;
    ids.push_back(incident.id);
  }
  throw InvalidInput("--without: no incident '{}' in scenario '{}'; incidents: {}", id,
                     scenario.name,
                     ids.empty() ? std::string("(none)") : fmt::format("{}", fmt::join(ids, ", ")));
}

GenerateSummary GenerateWorld(const Scenario& scenario, TableSink& sink,
                              const GenerateOptions& options) {
  if (options.without) CheckIncidentId(scenario, *options.without);
  World world = BuildWorld(scenario);
  std::vector<ActiveIncident> incidents;
  for (size_t k = 0; k < scenario.incidents.size(); ++k) {
    const Incident& incident = scenario.incidents[k];
    if (options.without && incident.id == *options.without) continue;
    incidents.push_back(
        {&incident, static_cast<int>(k), Compile(incident.slice, scenario.regions)});
  }
  GenerateSummary summary;
  summary.rows.assign(WorldTables::TableNames().size(), 0);

  // Days are generated by a small pool of workers and handed to the sink strictly in day order;
  // a day's content depends only on (seed, day, entity), never on which worker made it.
  const int days = scenario.days;
  const int threads = std::max(1, options.threads);
  const int window = threads * 2;
  std::vector<std::optional<WorldTables>> ready(static_cast<size_t>(days));
  std::mutex mutex;
  std::condition_variable cv;
  int next_day = 0;
  int consumed = 0;
  std::exception_ptr failure;
  auto worker = [&] {
    while (true) {
      int day;
      {
        std::unique_lock lock(mutex);
        cv.wait(lock, [&] { return failure || next_day >= days || next_day < consumed + window; });
        if (failure || next_day >= days) return;
        day = next_day++;
      }
      try {
        WorldTables chunk = GenerateDay(world, incidents, day, scenario.regions);
        std::lock_guard lock(mutex);
        ready[static_cast<size_t>(day)] = std::move(chunk);
      } catch (...) {
        std::lock_guard lock(mutex);
        failure = std::current_exception();
      }
      cv.notify_all();
    }
  };
  std::vector<std::thread> pool;
  for (int k = 0; k < threads; ++k) pool.emplace_back(worker);
  try {
    for (int day = 0; day < days; ++day) {
      WorldTables chunk;
      {
        std::unique_lock lock(mutex);
        cv.wait(lock, [&] { return failure || ready[static_cast<size_t>(day)].has_value(); });
        if (failure) break;
        chunk = std::move(*ready[static_cast<size_t>(day)]);
        ready[static_cast<size_t>(day)].reset();
      }
      summary.orders += static_cast<int64_t>(chunk.orders.RowCount());
      for (size_t t = 0; t < summary.rows.size(); ++t)
        summary.rows[t] += static_cast<int64_t>(chunk.At(t).RowCount());
      if (day == days - 1) {
        for (const auto& row : ChangeRows(scenario, incidents, summary.changes)) {
          Table& c = chunk.change_log;
          c.columns[0].strings.push_back(row.id);
          c.columns[1].ints.push_back(row.at);
          c.columns[2].strings.push_back(row.kind);
          c.columns[3].strings.push_back(row.scope);
          c.columns[4].strings.push_back(row.description);
        }
        summary.rows.back() = static_cast<int64_t>(chunk.change_log.RowCount());
      }
      sink.Consume(std::move(chunk));
      {
        std::lock_guard lock(mutex);
        consumed = day + 1;
      }
      cv.notify_all();
      if (options.progress) options.progress(day + 1, days);
    }
  } catch (...) {
    {
      std::lock_guard lock(mutex);
      if (!failure) failure = std::current_exception();
    }
    cv.notify_all();
  }
  for (auto& thread : pool) thread.join();
  if (failure) std::rethrow_exception(failure);
  return summary;
}

namespace {
class MemorySink : public TableSink {
 public:
  explicit MemorySink(WorldTables& tables) : tables_(tables) {}
  void Consume(WorldTables&& chunk) override { tables_.AppendRows(std::move(chunk)); }

 private:
  WorldTables& tables_;
};
}  // namespace

WorldTables GenerateWorldTables(const Scenario& scenario, const GenerateOptions& options,
                                GenerateSummary* summary) {
  WorldTables tables = MakeEmptyTables(scenario.regions);
  MemorySink sink(tables);
  GenerateSummary result = GenerateWorld(scenario, sink, options);
  if (summary != nullptr) *summary = result;
  return tables;
}

std::string TruthJson(const Scenario& scenario, const GenerateOptions& options,
                      const GenerateSummary& summary) {
  nlohmann::ordered_json truth;
  truth["scenario"] = scenario.name;
  truth["seed"] = scenario.seed;
  truth["start_date"] = FormatDate(scenario.start_date);
  truth["days"] = scenario.days;
  truth["orders_per_day"] = scenario.orders_per_day;
  truth["without"] =
      options.without ? nlohmann::ordered_json(*options.without) : nlohmann::ordered_json(nullptr);
  truth["incidents"] = nlohmann::ordered_json::array();
  for (const auto& incident : scenario.incidents) {
    if (options.without && incident.id == *options.without) continue;
    nlohmann::ordered_json item;
    item["id"] = incident.id;
    item["cause"] = std::string(CauseName(incident.cause));
    item["slice"] = nlohmann::ordered_json::object();
    for (const auto& [dimension, value] : incident.slice) item["slice"][dimension] = value;
    item["start_date"] = FormatDate(scenario.start_date + incident.start_day);
    item["end_date"] =
        incident.end_day
            ? nlohmann::ordered_json(FormatDate(scenario.start_date + *incident.end_day))
            : nlohmann::ordered_json(nullptr);
    item["magnitude"] = incident.magnitude;
    item["log_change"] = incident.log_change;
    item["change_id"] = nullptr;
    for (const auto& change : summary.changes) {
      if (change.incident_id == incident.id) item["change_id"] = change.change_id;
    }
    truth["incidents"].push_back(item);
  }
  return truth.dump(1) + "\n";
}

}  // namespace cxagent::generate
