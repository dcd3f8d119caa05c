#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "generate/scenario.hpp"

namespace cxagent::generate {

//! What the generator knows about a region: its share of demand, fleet mix and climate.
struct RegionProfile {
  std::string name;
  double demand_weight = 1.0;  //!< relative share of orders
  double bike_share = 0.15;    //!< share of dashers on bikes
  double scooter_share = 0.1;  //!< share of dashers on scooters
  double rain_rate = 0.08;     //!< probability that a day has (mild) background rain
  bool cold = false;           //!< snows in winter
};

//! A store: one merchant location with its prep-time profile and inventory quality.
struct Store {
  int32_t id = 0;
  int region = 0;
  int type = 0;                 //!< index into catalog::StoreTypes()
  int merchant = 0;             //!< index into catalog::Merchants()
  int mode = 0;                 //!< index into catalog::FulfillmentModes()
  double prep_median_min = 0;   //!< median prep time for a typical order
  double in_stock_rate = 0.99;  //!< long-run share of listed items actually on the shelf
  double feed_lag_hours = 2;    //!< typical age of the store's inventory feed
  double popularity = 1;
};

//! The static world of a scenario: regions, stores, customer and dasher pools, demand curves.
//! Built once from the scenario (never from incidents), so every counterfactual shares it.
struct World {
  uint64_t seed = 0;
  int32_t start_date = 0;
  int days = 0;
  double orders_per_day = 0;
  double noise = 1;
  std::vector<RegionProfile> regions;
  std::vector<double> region_cdf;
  std::vector<Store> stores;
  //! stores_by[region][type]: store indices and their cumulative popularity.
  std::vector<std::array<std::vector<int>, 5>> stores_by;
  std::vector<std::array<std::vector<double>, 5>> store_cdf;
  std::array<double, 5> type_weight{};
  //! hour_cdf[weekend][type][hour]: cumulative share of a store type's orders by hour.
  std::array<std::array<std::array<double, 24>, 5>, 2> hour_cdf{};
  //! hour_share[weekend][hour]: share of all orders in the hour.
  std::array<std::array<double, 24>, 2> hour_share{};
  int64_t customers_per_region = 0;
  int64_t dashers_per_region = 0;

  //! Mean orders of day `day` after weekly seasonality and day-to-day noise (no incident).
  double DayDemand(int day) const;
  //! True when the day is a Saturday or Sunday.
  bool IsWeekend(int day) const;
  //! Expected orders in a region and hour of a day (the plan supply is staffed against).
  double ExpectedOrders(int day, int region, int hour) const;
  //! Dashers online in a region and hour without any incident (supply tracks demand loosely).
  double BaseDashers(int day, int region, int hour) const;
  //! Dasher-hours demanded per dasher online without any incident: the baseline busy ratio.
  double BaseBusy(int day, int region, int hour) const;
  //! Background weather of a region on a day (index into catalog::Weathers()).
  int BaseWeather(int day, int region) const;
};

//! Dasher-hours one order takes on average; turns orders per hour into dashers needed.
inline constexpr double DASHER_HOURS_PER_ORDER = 0.75;

//! Builds the static world of a scenario.
World BuildWorld(const Scenario& scenario);

}  // namespace cxagent::generate
