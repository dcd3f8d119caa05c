#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.hpp"
#include "storage/needs.hpp"

namespace cxagent::storage {
class Dataset;
}

namespace cxagent::metrics {

//! Weights and thresholds of the per-order CX Score (domain.md §4); every one configurable.
struct CxScoreConfig {
  double late_minutes = 5;            //!< late_min above this is late
  double very_late_minutes = 20;      //!< late_min above this is very late
  double late_penalty = 15;           //!< points off for a late order
  double very_late_penalty = 30;      //!< points off for a very late order (instead of late)
  double missing_line_penalty = 10;   //!< points off per missing line
  double missing_cap = 30;            //!< at most this many points off for missing lines
  double rejected_sub_penalty = 5;    //!< points off per rejected substitution
  double rejected_sub_cap = 15;       //!< at most this many points off for rejected substitutions
  double contact_penalty = 15;        //!< points off when the order has a support contact
  double low_rating_penalty = 20;     //!< points off for a rating of 1 or 2
  double neutral_rating_penalty = 5;  //!< points off for a rating of 3
};

//! Reads the `cx_score` section of a configuration file (absent keys keep their defaults).
CxScoreConfig ReadCxScoreConfig(ConfigReader& reader);

//! One part of the per-order CX Score (domain.md §4) and the columns it is computed from.
struct CxComponent {
  std::string_view name;         //!< cancelled, late, missing_lines, ... (the output's names)
  std::string_view description;  //!< for people
  storage::Needs needs;          //!< empty: always available (orders' status)
};

//! The components in the order the score subtracts them: a cancelled order scores 0, others lose
//! points for lateness, missing lines, rejected substitutions, a support contact and the rating.
std::span<const CxComponent> CxComponents();

//! A component the data cannot support and the columns it lacks (`table.column`).
struct UnavailableCxComponent {
  std::string name;
  std::vector<std::string> needs;
};

//! The components of CxComponents() that `dataset` cannot support, in order.
std::vector<UnavailableCxComponent> UnavailableCxComponents(const storage::Dataset& dataset);

//! The score as the data can compute it: `config` with the penalties of the components `dataset`
//! lacks set to 0, so a missing column never costs points (items without substitution_accepted
//! would otherwise count every substitution as rejected). Unchanged for a dataset with them all.
CxScoreConfig ConfigForData(CxScoreConfig config, const storage::Dataset& dataset);

}  // namespace cxagent::metrics
