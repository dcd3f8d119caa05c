#pragma once

#include <string>

#include "metrics/cx_config.hpp"

namespace cxagent::storage {
class Connection;
}

namespace cxagent::metrics {

//! Builds the temporary table `order_facts` in one SQL pass over the data folder: one row per
//! order with its dimensions, CX Score, component inputs (lateness, item outcomes, contact,
//! rating) and driver metrics (batching, assign delay, prep wait, travel, distance, ETA error,
//! feed lag, busy ratio, weather). Throws InvalidInput naming a missing table or column.
void BuildOrderFacts(storage::Connection& connection, const std::string& data_dir,
                     const CxScoreConfig& config);

//! The SQL of BuildOrderFacts, for inspection and tests.
std::string OrderFactsSql(const std::string& data_dir, const CxScoreConfig& config);

}  // namespace cxagent::metrics
