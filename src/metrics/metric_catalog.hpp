#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/needs.hpp"

namespace cxagent::storage {
class Dataset;
}

namespace cxagent::metrics {

//! Whether a metric is a ratio of two sums (a rate or an average) or a plain sum.
enum class MetricKind { RATIO, ADDITIVE };

//! A tracked metric: which cube sums make it and which way is good.
struct MetricDefinition {
  std::string_view name;         //!< the contract name (domain.md §4)
  std::string_view numerator;    //!< cube column summed over orders
  std::string_view denominator;  //!< cube column for the denominator (empty for additive)
  MetricKind kind;
  bool higher_is_better;
  bool is_driver;  //!< a driver metric for root-cause analysis rather than a CX component
  std::string_view description;
  //! The contract columns it is computed from beyond `orders`' required ones (empty: always
  //! available); without them the cube's sums read 0 and the metric is not computed.
  storage::Needs needs = {};
  //! A share of the denominator's units (each unit 0 or 1): its per-unit variance is binomial,
  //! p (1 - p), which mechanism-led detection uses (docs/incidents.md).
  bool is_share = false;
  //! An age (hours since its source was last updated): while the updates stop it grows by a day
  //! a day, so mechanism-led detection reads a window's own noise around its days' line
  //! (docs/incidents.md step 6b).
  bool is_age = false;
};

//! Every metric of domain.md §4: the CX Score, its components and the driver metrics.
std::span<const MetricDefinition> Metrics();

//! The metric called `name`; throws InvalidInput listing the known names.
const MetricDefinition& FindMetric(std::string_view name);

//! A metric the data cannot support and the columns it lacks (`table.column`).
struct UnavailableMetric {
  std::string name;
  std::vector<std::string> needs;
};

//! The metrics of Metrics() that `dataset` cannot support, in catalog order.
std::vector<UnavailableMetric> UnavailableMetrics(const storage::Dataset& dataset);

}  // namespace cxagent::metrics
