#pragma once

#include <string>
#include <vector>

namespace cxagent::generate {

//! The value domains of the generated tables (domain.md §2); an enum column stores the index of
//! its value in these lists, which is also the dictionary of the dictionary-coded column.
namespace catalog {

//! `store_type` values.
const std::vector<std::string>& StoreTypes();
//! `customer_segment` values.
const std::vector<std::string>& Segments();
//! `platform` values.
const std::vector<std::string>& Platforms();
//! `daypart` values.
const std::vector<std::string>& Dayparts();
//! `fulfillment_mode` values.
const std::vector<std::string>& FulfillmentModes();
//! `orders.status` values.
const std::vector<std::string>& OrderStatuses();
//! `cancel_reason` values.
const std::vector<std::string>& CancelReasons();
//! `vehicle` values.
const std::vector<std::string>& Vehicles();
//! `weather` values.
const std::vector<std::string>& Weathers();
//! `items.category` values.
const std::vector<std::string>& Categories();
//! `items.status` values.
const std::vector<std::string>& ItemStatuses();
//! `support.reason` values.
const std::vector<std::string>& SupportReasons();
//! `change_log.kind` values.
const std::vector<std::string>& ChangeKinds();
//! Merchant chain ids, all store types together.
const std::vector<std::string>& Merchants();
//! The store type index of each merchant in Merchants().
const std::vector<int>& MerchantStoreType();

}  // namespace catalog

// Indices into the catalog lists, named for readability in the mechanisms.
enum StoreTypeIdx { RESTAURANT = 0, GROCERY, CONVENIENCE, PHARMACY, ALCOHOL };
enum SegmentIdx { SEG_NEW = 0, SEG_RETURNING, SEG_MEMBER };
enum DaypartIdx { BREAKFAST = 0, LUNCH, AFTERNOON, DINNER, LATE_NIGHT };
enum ModeIdx { MERCHANT_PICK = 0, DASHER_SHOP };
enum StatusIdx { DELIVERED = 0, CANCELLED };
enum CancelIdx { CANCEL_CUSTOMER = 0, CANCEL_NO_DASHER, CANCEL_STORE_CLOSED, CANCEL_APP_ERROR };
enum VehicleIdx { CAR = 0, BIKE, SCOOTER };
enum WeatherIdx { CLEAR = 0, RAIN, SNOW };
enum CategoryIdx { PRODUCE = 0, DAIRY, MEAT, FROZEN, PANTRY, HOUSEHOLD, PREPARED };
enum ItemStatusIdx { FOUND = 0, SUBSTITUTED, MISSING };
enum ReasonIdx {
  R_LATE = 0,
  R_MISSING_ITEM,
  R_WRONG_ITEM,
  R_BAD_SUBSTITUTION,
  R_DAMAGED,
  R_NEVER_ARRIVED,
  R_APP_ISSUE,
  R_OTHER
};

}  // namespace cxagent::generate
