#pragma once

#include <string>

#include "common/config.hpp"

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

}  // namespace cxagent::metrics
