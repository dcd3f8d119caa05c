#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/needs.hpp"

namespace cxagent::storage {
struct Table;
}

namespace cxagent::rca {

namespace xgb {
class Booster;
}

//! One order-level feature of the CX model: its name (the evidence's `feature`), a label for
//! people and how it is computed from `order_facts`.
struct FeatureSpec {
  std::string_view name;
  std::string_view label;
  std::string_view description;
  //! The contract columns it is computed from (empty: always there); a feature whose columns the
  //! data lacks is blanked (NaN for every order) so that the model never splits on it.
  storage::Needs needs = {};
};

//! The order features the RCA model uses, in column order. They are the mechanisms' own drivers
//! and the order's context, never the mediators (travel time, actual ETA, ETA error, contacts,
//! ratings): a tree model credits the input closest to the outcome, so with ETA error among the
//! inputs every late-delivery mechanism would collapse into one bar. Categorical features use the
//! fixed codes of CategoryCode (NaN for an unknown value); NaN is "missing" (for example the
//! delivery features of a cancelled order).
std::span<const FeatureSpec> OrderFeatures();

//! The feature called `name`, or nullptr.
const FeatureSpec* FindOrderFeature(std::string_view name);

//! The columns the named features need (each once, in order); throws InvalidInput for an unknown
//! feature. Action templates declare their needs through it.
std::vector<std::string_view> FeatureNeeds(std::initializer_list<std::string_view> features);

//! The order_facts columns EncodeOrderFeatures reads (a SELECT list).
std::string OrderFeatureColumnsSql();

//! The fixed numeric code of a categorical value (`weather`: clear 0, rain 1, snow 2; `platform`:
//! ios 0, android 1, web 2; `daypart`: breakfast 0 ... late_night 4; `store_type`: restaurant 0,
//! grocery 1, convenience 2, pharmacy 3, alcohol 4; `fulfillment_mode`: merchant_pick 0,
//! dasher_shop 1); -1 when the value is not one of the contract's.
int CategoryCode(std::string_view feature, std::string_view value);

//! A dense row-major matrix of float features with named columns (NaN = missing).
struct FeatureMatrix {
  std::vector<std::string> names;
  size_t rows = 0;
  std::vector<float> values;

  size_t Columns() const { return names.size(); }
  float At(size_t row, size_t column) const { return values[row * names.size() + column]; }
  float& At(size_t row, size_t column) { return values[row * names.size() + column]; }
  //! Index of the column `name`; throws InvalidInput naming the columns otherwise.
  size_t Index(std::string_view name) const;
  //! A matrix with the given rows only.
  FeatureMatrix Rows(const std::vector<size_t>& rows) const;
};

//! Encodes orders (a Table holding the columns of OrderFeatureColumnsSql) as the matrix of
//! OrderFeatures, then (when `impute`) applies ImputeUndispatched. Throws NotFound naming a
//! missing column.
FeatureMatrix EncodeOrderFeatures(const storage::Table& orders, bool impute = true);

//! Orders never dispatched (cancelled: no delivery row, no lines) get the median of the
//! dispatched orders of the matrix for is_batched, assign_delay_min, prep_wait_min, shop_min,
//! weather and n_lines, and batch_size 1, so that a tree cannot read "no delivery data" as
//! "cancelled" and credit the cancellation to a delivery feature: the cancel_* flags carry it.
//! A row counts as dispatched when its batch_size is known.
void ImputeUndispatched(FeatureMatrix& matrix);

//! Training settings of CxModel (XGBoost, tree_method=hist).
struct CxModelParams {
  int rounds = 80;
  int max_depth = 4;
  double learning_rate = 0.25;
  double min_child_weight = 10;
  double subsample = 0.8;
  double lambda = 1.0;
  int threads = 1;
  int seed = 7;
};

//! A gradient-boosted model of the per-order CX Score (XGBoost C API, `hist`) with exact
//! TreeSHAP contributions. The target is centred before training and the mean kept in double
//! precision, so predictions and contributions are accurate to float rounding of the residual.
//! Reusable: what-if simulation re-predicts modified orders through the same model, and
//! SaveToBytes/LoadFromBytes keep the feature list with the trees.
class CxModel {
 public:
  CxModel();
  ~CxModel();
  CxModel(CxModel&&) noexcept;
  CxModel& operator=(CxModel&&) noexcept;
  CxModel(const CxModel&) = delete;
  CxModel& operator=(const CxModel&) = delete;

  //! Trains on `features` (one row per order) and `targets` (the CX Score of each row). Throws
  //! InvalidInput when there are no rows or the sizes disagree.
  static CxModel Train(const FeatureMatrix& features, const std::vector<double>& targets,
                       const CxModelParams& params = {});

  //! Predicted CX Score per row. The matrix must have the model's feature columns in order.
  std::vector<double> Predict(const FeatureMatrix& features) const;
  //! Exact TreeSHAP contributions: rows x (features + 1), row-major; the last column is the bias
  //! (the mean prediction). Each row sums to Predict's value for it.
  std::vector<double> Contributions(const FeatureMatrix& features) const;

  //! The model (trees, feature names, centring constant) as bytes for storage.
  std::string SaveToBytes() const;
  //! A model saved by SaveToBytes; throws InvalidInput when the bytes are not one.
  static CxModel LoadFromBytes(std::string_view bytes);

  //! The feature names, in column order.
  const std::vector<std::string>& Features() const { return features_; }
  //! The centring constant (mean training target).
  double Offset() const { return offset_; }

 private:
  void RequireColumns(const FeatureMatrix& features) const;

  std::unique_ptr<xgb::Booster> booster_;
  std::vector<std::string> features_;
  double offset_ = 0;
};

}  // namespace cxagent::rca
