#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace cxagent::storage {
class Dataset;
}
namespace cxagent::rca {
class HypothesisRegistry;
}
namespace cxagent::recommend {
class ActionRegistry;
}

namespace cxagent::pipeline {

//! Something the data cannot support and why (docs/your-data.md, "What is required").
struct Unavailable {
  std::string kind;                //!< metric, cx_component, cause or action
  std::string name;                //!< e.g. on_time_rate, rating, batching_expansion, eta_padding
  std::vector<std::string> needs;  //!< the columns the data lacks, `table.column`
};

//! What a dataset lets the analysis compute: every metric (the catalog's and the RCA's drivers),
//! CX Score component, cause and action template that declares columns the data lacks.
struct DataSupport {
  std::vector<Unavailable> unavailable;    //!< metrics, components, causes, actions, in that order
  std::vector<std::string> cx_components;  //!< the CX Score components the score is made of

  //! The names of the unavailable entries of `kind`.
  std::vector<std::string> Names(std::string_view kind) const;
  //! The analysis file's `data.unavailable`: [{kind, name, needs}].
  nlohmann::json UnavailableJson() const;
  //! The analysis file's `data.cx_score`: {components: [...], unavailable: [{name, needs}]}, the
  //! definition of the score the data supports.
  nlohmann::json CxScoreJson() const;
};

//! Computes from the dataset's tables and columns (storage::Dataset::HasColumn) what the
//! analysis cannot compute and why, from the needs each metric, component, hypothesis (through its
//! outcome and signature drivers, rca::UntestableNeeds) and action template declares.
DataSupport AssessDataSupport(const storage::Dataset& dataset,
                              const rca::HypothesisRegistry& hypotheses,
                              const recommend::ActionRegistry& actions);

}  // namespace cxagent::pipeline
