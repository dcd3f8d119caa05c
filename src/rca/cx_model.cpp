#include "rca/cx_model.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>

#include "common/error.hpp"
#include "rca/xgboost.hpp"
#include "storage/table.hpp"

namespace cxagent::rca {

namespace {

constexpr float NaN = std::numeric_limits<float>::quiet_NaN();

// The columns behind each feature (docs/your-data.md).
constexpr std::string_view BATCHED[] = {"deliveries.is_batched"};
constexpr std::string_view BATCH_SIZE[] = {"deliveries.batch_size"};
constexpr std::string_view ASSIGN[] = {"deliveries.assign_delay_min"};
constexpr std::string_view BUSY[] = {"supply_hourly.busy_ratio", "supply_hourly.region",
                                     "supply_hourly.hour", "orders.region", "orders.created_at"};
constexpr std::string_view PREP[] = {"deliveries.prep_wait_min"};
constexpr std::string_view SHOP[] = {"deliveries.shop_min"};
constexpr std::string_view DISTANCE[] = {"orders.distance_km"};
constexpr std::string_view QUOTED[] = {"orders.quoted_eta_min"};
constexpr std::string_view WEATHER[] = {"deliveries.weather"};
constexpr std::string_view FEED[] = {"inventory.feed_lag_hours", "inventory.date",
                                     "inventory.store_id", "orders.store_id"};
constexpr std::string_view ITEM_STATUS[] = {"items.status"};
constexpr std::string_view SUBSTITUTIONS[] = {"items.status", "items.substitution_accepted"};
constexpr std::string_view LINES[] = {"items.order_id"};
constexpr std::string_view CANCEL_REASON[] = {"orders.cancel_reason"};
constexpr std::string_view PLATFORM[] = {"orders.platform"};
constexpr std::string_view DAYPART[] = {"orders.daypart"};
constexpr std::string_view STORE_TYPE[] = {"orders.store_type"};
constexpr std::string_view MODE[] = {"orders.fulfillment_mode"};
constexpr std::string_view CREATED_AT[] = {"orders.created_at"};

constexpr FeatureSpec FEATURES[] = {
    {"is_batched", "Batched order", "1 when the order rode in a batch with others", BATCHED},
    {"batch_size", "Batch size", "orders in the dasher's batch (1 when not batched)", BATCH_SIZE},
    {"assign_delay_min", "Dasher assignment delay", "minutes from checkout to dasher accept",
     ASSIGN},
    {"busy_ratio", "Marketplace busy ratio", "demand over supply in the region and hour", BUSY},
    {"prep_wait_min", "Merchant prep wait", "minutes the dasher waited for the merchant", PREP},
    {"shop_min", "In-store shopping time", "minutes the dasher spent shopping the order", SHOP},
    {"distance_km", "Delivery distance", "store to customer, km", DISTANCE},
    {"quoted_eta_min", "Quoted ETA", "minutes promised at checkout", QUOTED},
    {"weather", "Weather", "clear 0, rain 1, snow 2", WEATHER},
    {"feed_lag_hours", "Inventory feed lag", "age of the store's inventory feed, hours", FEED},
    {"missing_lines", "Missing items", "lines not delivered", ITEM_STATUS},
    {"substituted_lines", "Substituted items", "lines replaced by another item", ITEM_STATUS},
    {"sub_reject_share", "Rejected substitutions",
     "share of the order's substitutions the customer rejected", SUBSTITUTIONS},
    {"n_lines", "Lines in the order", "order lines", LINES},
    {"cancel_app_error", "App-error cancellation", "1 when cancelled for an app error",
     CANCEL_REASON},
    {"cancel_no_dasher", "No-dasher cancellation", "1 when cancelled for want of a dasher",
     CANCEL_REASON},
    {"cancel_customer", "Customer cancellation", "1 when the customer cancelled", CANCEL_REASON},
    {"cancel_store_closed", "Store-closed cancellation", "1 when cancelled, store closed",
     CANCEL_REASON},
    {"platform", "Platform", "ios 0, android 1, web 2", PLATFORM},
    {"daypart", "Daypart", "breakfast 0, lunch 1, afternoon 2, dinner 3, late_night 4", DAYPART},
    {"store_type", "Store type", "restaurant 0, grocery 1, convenience 2, pharmacy 3, alcohol 4",
     STORE_TYPE},
    {"fulfillment_mode", "Fulfillment mode", "merchant_pick 0, dasher_shop 1", MODE},
    {"hour", "Hour of day", "local hour of checkout", CREATED_AT},
};

struct Categories {
  std::string_view feature;
  std::array<std::string_view, 5> values;
};
constexpr Categories CATEGORIES[] = {
    {"weather", {"clear", "rain", "snow"}},
    {"platform", {"ios", "android", "web"}},
    {"daypart", {"breakfast", "lunch", "afternoon", "dinner", "late_night"}},
    {"store_type", {"restaurant", "grocery", "convenience", "pharmacy", "alcohol"}},
    {"fulfillment_mode", {"merchant_pick", "dasher_shop"}},
};

// A column value as a float, NaN for NULL; booleans as 0/1.
float Value(const storage::Column& column, size_t row) {
  if (column.IsNull(row)) return NaN;
  if (column.type == storage::ColumnType::DOUBLE) return static_cast<float>(column.doubles[row]);
  return static_cast<float>(column.ints[row]);
}

float Code(const storage::Column& column, std::string_view feature, size_t row) {
  if (column.IsNull(row)) return NaN;
  const int code = CategoryCode(feature, column.StringAt(row));
  return code < 0 ? NaN : static_cast<float>(code);
}

}  // namespace

std::span<const FeatureSpec> OrderFeatures() {
  return FEATURES;
}

const FeatureSpec* FindOrderFeature(std::string_view name) {
  for (const auto& feature : FEATURES) {
    if (feature.name == name) return &feature;
  }
  return nullptr;
}

std::vector<std::string_view> FeatureNeeds(std::initializer_list<std::string_view> features) {
  std::vector<std::string_view> needs;
  for (const std::string_view name : features) {
    const FeatureSpec* feature = FindOrderFeature(name);
    if (feature == nullptr) throw InvalidInput("unknown order feature '{}'", name);
    for (const std::string_view need : feature->needs) {
      if (std::find(needs.begin(), needs.end(), need) == needs.end()) needs.push_back(need);
    }
  }
  return needs;
}

std::string OrderFeatureColumnsSql() {
  return "is_batched::INTEGER AS is_batched, batch_size, assign_delay_min, busy_ratio, "
         "prep_wait_min, shop_min, distance_km, quoted_eta_min, weather, feed_lag_hours, "
         "missing_lines, substituted_lines, rejected_subs, n_lines, cancel_reason, platform, "
         "daypart, store_type, fulfillment_mode, hour(created_at) AS hour";
}

int CategoryCode(std::string_view feature, std::string_view value) {
  for (const auto& categories : CATEGORIES) {
    if (categories.feature != feature) continue;
    for (size_t i = 0; i < categories.values.size(); ++i) {
      if (!categories.values[i].empty() && categories.values[i] == value) {
        return static_cast<int>(i);
      }
    }
    return -1;
  }
  return -1;
}

size_t FeatureMatrix::Index(std::string_view name) const {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return i;
  }
  throw InvalidInput("no feature '{}' among: {}", name, fmt::join(names, ", "));
}

FeatureMatrix FeatureMatrix::Rows(const std::vector<size_t>& rows_wanted) const {
  FeatureMatrix out;
  out.names = names;
  out.rows = rows_wanted.size();
  out.values.reserve(rows_wanted.size() * names.size());
  for (size_t row : rows_wanted) {
    const auto begin = values.begin() + static_cast<std::ptrdiff_t>(row * names.size());
    out.values.insert(out.values.end(), begin, begin + static_cast<std::ptrdiff_t>(names.size()));
  }
  return out;
}

FeatureMatrix EncodeOrderFeatures(const storage::Table& orders, bool impute) {
  FeatureMatrix matrix;
  for (const auto& feature : FEATURES) matrix.names.emplace_back(feature.name);
  const size_t rows = orders.RowCount();
  matrix.rows = rows;
  matrix.values.assign(rows * matrix.names.size(), NaN);
  const size_t columns = matrix.names.size();
  // Plain numeric features copied as they are, by column name.
  const std::vector<std::pair<size_t, const storage::Column*>> plain = {
      {0, &orders.Get("is_batched")},
      {1, &orders.Get("batch_size")},
      {2, &orders.Get("assign_delay_min")},
      {3, &orders.Get("busy_ratio")},
      {4, &orders.Get("prep_wait_min")},
      {5, &orders.Get("shop_min")},
      {6, &orders.Get("distance_km")},
      {7, &orders.Get("quoted_eta_min")},
      {9, &orders.Get("feed_lag_hours")},
      {10, &orders.Get("missing_lines")},
      {11, &orders.Get("substituted_lines")},
      {13, &orders.Get("n_lines")},
      {22, &orders.Get("hour")},
  };
  const auto& weather = orders.Get("weather");
  const auto& rejected = orders.Get("rejected_subs");
  const auto& substituted = orders.Get("substituted_lines");
  const auto& cancel = orders.Get("cancel_reason");
  const std::pair<size_t, const storage::Column*> coded[] = {
      {18, &orders.Get("platform")},
      {19, &orders.Get("daypart")},
      {20, &orders.Get("store_type")},
      {21, &orders.Get("fulfillment_mode")},
  };
  for (size_t row = 0; row < rows; ++row) {
    float* out = &matrix.values[row * columns];
    for (const auto& [index, column] : plain) out[index] = Value(*column, row);
    out[8] = Code(weather, "weather", row);
    const float subs = Value(substituted, row);
    out[12] = subs > 0 ? Value(rejected, row) / subs : NaN;
    const std::string_view reason = cancel.IsNull(row) ? std::string_view() : cancel.StringAt(row);
    out[14] = reason == "app_error" ? 1.0F : 0.0F;
    out[15] = reason == "no_dasher" ? 1.0F : 0.0F;
    out[16] = reason == "customer" ? 1.0F : 0.0F;
    out[17] = reason == "store_closed" ? 1.0F : 0.0F;
    for (const auto& [index, column] : coded) {
      out[index] = Code(*column, matrix.names[index], row);
    }
  }
  if (impute) ImputeUndispatched(matrix);
  return matrix;
}

void ImputeUndispatched(FeatureMatrix& matrix) {
  // Orders never dispatched (cancelled) have no delivery and no lines: give them the median of the
  // dispatched orders, so that the trees cannot learn "missing assignment delay means cancelled"
  // and credit a cancellation to the delivery features. The cancellation flags carry it instead.
  const size_t rows = matrix.rows;
  const size_t columns = matrix.Columns();
  const size_t flag_column = matrix.Index("batch_size");  // known exactly for dispatched orders
  std::vector<uint8_t> undispatched(rows, 0);
  for (size_t row = 0; row < rows; ++row) {
    undispatched[row] = std::isnan(matrix.values[row * columns + flag_column]) ? 1 : 0;
  }
  for (const char* name :
       {"is_batched", "assign_delay_min", "prep_wait_min", "shop_min", "weather", "n_lines"}) {
    const size_t column = matrix.Index(name);
    std::vector<float> values;
    for (size_t row = 0; row < rows; ++row) {
      const float value = matrix.values[row * columns + column];
      if (!undispatched[row] && !std::isnan(value)) values.push_back(value);
    }
    float median = 0;
    if (!values.empty()) {
      auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
      std::nth_element(values.begin(), middle, values.end());
      median = *middle;
    }
    for (size_t row = 0; row < rows; ++row) {
      if (undispatched[row]) matrix.values[row * columns + column] = median;
    }
  }
  for (size_t row = 0; row < rows; ++row) {
    if (undispatched[row]) matrix.values[row * columns + flag_column] = 1.0F;
  }
}

CxModel::CxModel() = default;
CxModel::~CxModel() = default;
CxModel::CxModel(CxModel&&) noexcept = default;
CxModel& CxModel::operator=(CxModel&&) noexcept = default;

CxModel CxModel::Train(const FeatureMatrix& features, const std::vector<double>& targets,
                       const CxModelParams& params) {
  if (features.rows == 0) throw InvalidInput("cannot train the CX model on no orders");
  if (targets.size() != features.rows ||
      features.values.size() != features.rows * features.Columns()) {
    throw InvalidInput("CX model: {} targets for {} rows of {} features", targets.size(),
                       features.rows, features.Columns());
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    if (!std::isfinite(targets[i])) {
      throw InvalidInput("CX model: the target of row {} is not a finite number", i);
    }
  }
  CxModel model;
  model.features_ = features.names;
  model.offset_ =
      std::accumulate(targets.begin(), targets.end(), 0.0) / static_cast<double>(targets.size());
  std::vector<float> labels(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    labels[i] = static_cast<float>(targets[i] - model.offset_);
  }
  xgb::DMatrix train(features.values, features.rows, features.Columns(), labels);
  model.booster_ = std::make_unique<xgb::Booster>(std::vector<const xgb::DMatrix*>{&train});
  xgb::Booster& booster = *model.booster_;
  booster.SetParam("tree_method", "hist");
  booster.SetParam("objective", "reg:squarederror");
  booster.SetParam("base_score", "0");
  booster.SetParam("max_depth", std::to_string(params.max_depth));
  booster.SetParam("eta", fmt::format("{}", params.learning_rate));
  booster.SetParam("min_child_weight", fmt::format("{}", params.min_child_weight));
  booster.SetParam("subsample", fmt::format("{}", params.subsample));
  booster.SetParam("lambda", fmt::format("{}", params.lambda));
  booster.SetParam("nthread", std::to_string(params.threads));
  booster.SetParam("seed", std::to_string(params.seed));
  booster.SetParam("verbosity", "0");
  for (int round = 0; round < params.rounds; ++round) booster.UpdateOneIter(round, train);
  booster.SetAttribute("cxagent_features", nlohmann::json(model.features_).dump());
  booster.SetAttribute("cxagent_offset", fmt::format("{:.17g}", model.offset_));
  return model;
}

void CxModel::RequireColumns(const FeatureMatrix& features) const {
  if (!booster_) throw InternalError("CX model used before training or loading");
  if (features.names != features_) {
    throw InvalidInput("CX model expects features [{}], got [{}]", fmt::join(features_, ", "),
                       fmt::join(features.names, ", "));
  }
}

std::vector<double> CxModel::Predict(const FeatureMatrix& features) const {
  RequireColumns(features);
  if (features.rows == 0) return {};
  xgb::DMatrix data(features.values, features.rows, features.Columns());
  size_t columns = 0;
  const std::vector<float> margin = booster_->Predict(data, 0, &columns);
  std::vector<double> out(margin.size());
  for (size_t i = 0; i < margin.size(); ++i) out[i] = offset_ + static_cast<double>(margin[i]);
  return out;
}

std::vector<double> CxModel::Contributions(const FeatureMatrix& features) const {
  RequireColumns(features);
  if (features.rows == 0) return {};
  xgb::DMatrix data(features.values, features.rows, features.Columns());
  size_t columns = 0;
  const std::vector<float> raw = booster_->Predict(data, 2, &columns);
  if (columns != features.Columns() + 1 || raw.size() != features.rows * columns) {
    throw InternalError("XGBoost returned {} contributions of width {} for {} rows x {} features",
                        raw.size(), columns, features.rows, features.Columns());
  }
  std::vector<double> out(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) out[i] = static_cast<double>(raw[i]);
  for (size_t row = 0; row < features.rows; ++row) out[row * columns + columns - 1] += offset_;
  return out;
}

std::string CxModel::SaveToBytes() const {
  if (!booster_) throw InternalError("CX model saved before training or loading");
  return booster_->Save();
}

CxModel CxModel::LoadFromBytes(std::string_view bytes) {
  CxModel model;
  model.booster_ = std::make_unique<xgb::Booster>();
  try {
    model.booster_->Load(bytes);
    const std::string names = model.booster_->Attribute("cxagent_features");
    const std::string offset = model.booster_->Attribute("cxagent_offset");
    if (names.empty() || offset.empty()) {
      throw InvalidInput("the model bytes are not a cxagent CX model (no feature list)");
    }
    model.features_ = nlohmann::json::parse(names).get<std::vector<std::string>>();
    model.offset_ = std::stod(offset);
  } catch (const Error& error) {
    if (error.Type() == ErrorType::INVALID_INPUT) throw;
    throw InvalidInput("cannot load the CX model: {}", error.what());
  } catch (const std::exception& error) {
    throw InvalidInput("cannot load the CX model: {}", error.what());
  }
  return model;
}

}  // namespace cxagent::rca
