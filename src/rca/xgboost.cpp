#include "rca/xgboost.hpp"

#include <limits>
#include <utility>

#include "common/error.hpp"

namespace cxagent::rca::xgb {

void Check(int status, std::string_view what) {
  if (status == 0) return;
  // XGBoost appends a stack trace after the first line; the message is the first line.
  std::string message = XGBGetLastError();
  const auto end = message.find('\n');
  if (end != std::string::npos) message.resize(end);
  throw InternalError("XGBoost: {} failed: {}", what, message);
}

DMatrix::DMatrix(const std::vector<float>& values, size_t rows, size_t columns,
                 const std::vector<float>& labels)
    : rows_(rows), columns_(columns) {
  if (values.size() != rows * columns) {
    throw InternalError("XGBoost: matrix of {} values is not {} x {}", values.size(), rows,
                        columns);
  }
  // One thread: OpenMP workers spin while they wait, which costs far more than it saves on a busy
  // machine for the sample sizes of the RCA.
  Check(XGDMatrixCreateFromMat_omp(values.data(), rows, columns,
                                   std::numeric_limits<float>::quiet_NaN(), &handle_, 1),
        "creating a DMatrix");
  if (!labels.empty()) {
    if (labels.size() != rows) {
      throw InternalError("XGBoost: {} labels for {} rows", labels.size(), rows);
    }
    Check(XGDMatrixSetFloatInfo(handle_, "label", labels.data(), rows), "setting labels");
  }
}

DMatrix::~DMatrix() {
  if (handle_ != nullptr) XGDMatrixFree(handle_);
}

DMatrix::DMatrix(DMatrix&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)),
      rows_(other.rows_),
      columns_(other.columns_) {}

DMatrix& DMatrix::operator=(DMatrix&& other) noexcept {
  if (this != &other) {
    if (handle_ != nullptr) XGDMatrixFree(handle_);
    handle_ = std::exchange(other.handle_, nullptr);
    rows_ = other.rows_;
    columns_ = other.columns_;
  }
  return *this;
}

Booster::Booster(const std::vector<const DMatrix*>& cache) {
  std::vector<DMatrixHandle> handles;
  for (const DMatrix* matrix : cache) handles.push_back(matrix->Handle());
  Check(XGBoosterCreate(handles.empty() ? nullptr : handles.data(), handles.size(), &handle_),
        "creating a booster");
}

Booster::~Booster() {
  if (handle_ != nullptr) XGBoosterFree(handle_);
}

Booster::Booster(Booster&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}

Booster& Booster::operator=(Booster&& other) noexcept {
  if (this != &other) {
    if (handle_ != nullptr) XGBoosterFree(handle_);
    handle_ = std::exchange(other.handle_, nullptr);
  }
  return *this;
}

void Booster::SetParam(const std::string& name, const std::string& value) {
  Check(XGBoosterSetParam(handle_, name.c_str(), value.c_str()), "setting parameter " + name);
}

void Booster::UpdateOneIter(int iteration, const DMatrix& train) {
  Check(XGBoosterUpdateOneIter(handle_, iteration, train.Handle()), "a boosting round");
}

std::vector<float> Booster::Predict(const DMatrix& data, int kind, size_t* columns_out) const {
  const std::string config = "{\"type\": " + std::to_string(kind) +
                             ", \"training\": false, \"iteration_begin\": 0, "
                             "\"iteration_end\": 0, \"strict_shape\": false}";
  const bst_ulong* shape = nullptr;
  bst_ulong dimensions = 0;
  const float* result = nullptr;
  Check(XGBoosterPredictFromDMatrix(handle_, data.Handle(), config.c_str(), &shape, &dimensions,
                                    &result),
        "prediction");
  size_t total = 1;
  for (bst_ulong i = 0; i < dimensions; ++i) total *= static_cast<size_t>(shape[i]);
  if (columns_out != nullptr) {
    *columns_out = dimensions >= 2 ? static_cast<size_t>(shape[dimensions - 1]) : 1;
  }
  return std::vector<float>(result, result + total);
}

std::string Booster::Save() const {
  bst_ulong length = 0;
  const char* bytes = nullptr;
  Check(XGBoosterSaveModelToBuffer(handle_, "{\"format\": \"ubj\"}", &length, &bytes),
        "saving the model");
  return std::string(bytes, static_cast<size_t>(length));
}

void Booster::Load(std::string_view bytes) {
  Check(XGBoosterLoadModelFromBuffer(handle_, bytes.data(), bytes.size()), "loading a model");
}

std::string Booster::Attribute(const std::string& key) const {
  const char* value = nullptr;
  int found = 0;
  Check(XGBoosterGetAttr(handle_, key.c_str(), &value, &found), "reading attribute " + key);
  return found != 0 && value != nullptr ? std::string(value) : std::string();
}

void Booster::SetAttribute(const std::string& key, const std::string& value) {
  Check(XGBoosterSetAttr(handle_, key.c_str(), value.c_str()), "setting attribute " + key);
}

}  // namespace cxagent::rca::xgb
