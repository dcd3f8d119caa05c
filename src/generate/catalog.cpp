#include "generate/catalog.hpp"

namespace cxagent::generate::catalog {

const std::vector<std::string>& StoreTypes() {
  static const std::vector<std::string> values{"restaurant", "grocery", "convenience", "pharmacy",
                                               "alcohol"};
  return values;
}
const std::vector<std::string>& Segments() {
  static const std::vector<std::string> values{"new", "returning", "member"};
  return values;
}
const std::vector<std::string>& Platforms() {
  static const std::vector<std::string> values{"ios", "android", "web"};
  return values;
}
const std::vector<std::string>& Dayparts() {
  static const std::vector<std::string> values{"breakfast", "lunch", "afternoon", "dinner",
                                               "late_night"};
  return values;
}
const std::vector<std::string>& FulfillmentModes() {
  static const std::vector<std::string> values{"merchant_pick", "dasher_shop"};
  return values;
}
const std::vector<std::string>& OrderStatuses() {
  static const std::vector<std::string> values{"delivered", "cancelled"};
  return values;
}
const std::vector<std::string>& CancelReasons() {
  static const std::vector<std::string> values{"customer", "no_dasher", "store_closed",
                                               "app_error"};
  return values;
}
const std::vector<std::string>& Vehicles() {
  static const std::vector<std::string> values{"car", "bike", "scooter"};
  return values;
}
const std::vector<std::string>& Weathers() {
  static const std::vector<std::string> values{"clear", "rain", "snow"};
  return values;
}
const std::vector<std::string>& Categories() {
  static const std::vector<std::string> values{"produce", "dairy",     "meat",    "frozen",
                                               "pantry",  "household", "prepared"};
  return values;
}
const std::vector<std::string>& ItemStatuses() {
  static const std::vector<std::string> values{"found", "substituted", "missing"};
  return values;
}
const std::vector<std::string>& SupportReasons() {
  static const std::vector<std::string> values{
      "late",    "missing_item",  "wrong_item", "bad_substitution",
      "damaged", "never_arrived", "app_issue",  "other"};
  return values;
}
const std::vector<std::string>& ChangeKinds() {
  static const std::vector<std::string> values{
      "dispatch_policy", "eta_model", "substitution_model",  "app_release",
      "delivery_radius", "pricing",   "merchant_onboarding", "other"};
  return values;
}

// Chains are fictional; the store-type mix per chain follows how US marketplaces look: many
// restaurant brands, a few grocers, a couple of convenience, pharmacy and liquor chains.
const std::vector<std::string>& Merchants() {
  static const std::vector<std::string> values{
      "burger_barn", "taco_loco",        "pizza_planet",  "sushi_zen",   "curry_house",
      "green_bowl",  "noodle_bar",       "chicken_shack", "bagel_bros",  "local_eats",
      "freshmart",   "greenleaf_market", "value_grocer",  "quickstop",   "corner_mart",
      "medplus",     "care_rx",          "bottle_shop",   "vine_spirits"};
  return values;
}
const std::vector<int>& MerchantStoreType() {
  static const std::vector<int> values{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 4};
  return values;
}

}  // namespace cxagent::generate::catalog
