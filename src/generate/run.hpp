#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace cxagent::generate {

//! Everything `cxagent generate` was asked for on the command line.
struct GenerateRequest {
  std::string scenario_path;
  std::string out_dir;
  std::optional<uint64_t> seed;
  std::optional<int> days;
  std::optional<int64_t> orders_per_day;
  std::optional<std::string> without;
  std::string format = "parquet";
  int threads = 0;       //!< day-generation workers; 0 = one per core (results never depend on it)
  bool progress = true;  //!< draw a progress bar when stderr is a terminal
};

//! Validates the request and the scenario, generates the world and writes the eight tables and
//! truth.json into the output folder (nothing is written when validation fails); prints a
//! one-line summary to stderr. Returns the number of orders.
int64_t RunGenerate(const GenerateRequest& request);

}  // namespace cxagent::generate
