#pragma once

#include <xgboost/c_api.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cxagent::rca::xgb {

//! Turns a non-zero XGBoost C API return code into a cxagent::Error (Internal) carrying
//! XGBGetLastError() and what was being done.
void Check(int status, std::string_view what);

//! An XGBoost DMatrix built from a dense row-major float matrix (NaN = missing), freed on
//! destruction.
class DMatrix {
 public:
  //! Copies `values` (rows x columns, row-major); `labels` may be empty (prediction only).
  DMatrix(const std::vector<float>& values, size_t rows, size_t columns,
          const std::vector<float>& labels = {});
  ~DMatrix();
  DMatrix(const DMatrix&) = delete;
  DMatrix& operator=(const DMatrix&) = delete;
  DMatrix(DMatrix&& other) noexcept;
  DMatrix& operator=(DMatrix&& other) noexcept;

  DMatrixHandle Handle() const { return handle_; }
  size_t Rows() const { return rows_; }
  size_t Columns() const { return columns_; }

 private:
  DMatrixHandle handle_ = nullptr;
  size_t rows_ = 0;
  size_t columns_ = 0;
};

//! An XGBoost Booster, freed on destruction.
class Booster {
 public:
  //! An empty booster (load a model into it, or train it on `cache` matrices).
  explicit Booster(const std::vector<const DMatrix*>& cache = {});
  ~Booster();
  Booster(const Booster&) = delete;
  Booster& operator=(const Booster&) = delete;
  Booster(Booster&& other) noexcept;
  Booster& operator=(Booster&& other) noexcept;

  void SetParam(const std::string& name, const std::string& value);
  //! One boosting round on `train`.
  void UpdateOneIter(int iteration, const DMatrix& train);
  //! Prediction of `kind` (XGBoost's "type": 0 value, 2 exact TreeSHAP contributions) as a flat
  //! row-major vector; `columns_out` receives the values per row.
  std::vector<float> Predict(const DMatrix& data, int kind, size_t* columns_out) const;
  //! The model in XGBoost's Universal Binary JSON format.
  std::string Save() const;
  //! Loads a model saved by Save().
  void Load(std::string_view bytes);
  //! A model attribute (empty when absent).
  std::string Attribute(const std::string& key) const;
  void SetAttribute(const std::string& key, const std::string& value);

  BoosterHandle Handle() const { return handle_; }

 private:
  BoosterHandle handle_ = nullptr;
};

}  // namespace cxagent::rca::xgb
