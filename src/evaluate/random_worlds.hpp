#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "generate/scenario.hpp"
#include "generate/world.hpp"

namespace cxagent::evaluate {

//! What `cxagent evaluate --random N --seed S` draws: N worlds of one size, each from (S, index).
struct RandomWorlds {
  int count = 0;
  uint64_t seed = 0;
  int days = 42;                  //!< days of data per world (the suites' size)
  int64_t orders_per_day = 3000;  //!< mean orders per day per world (the suites' size)
};

//! The fewest expected orders a day an incident's slice may have: the suites keep ~30 and the cube
//! leaves slices under 20 out, so at 40 a drop of 1-2 points held for a week or more is within
//! what the day-level data can show.
inline constexpr double MIN_SLICE_ORDERS_PER_DAY = 40;
//! The smallest --orders-per-day --random accepts: below it few slices keep the volume above.
inline constexpr int64_t MIN_RANDOM_ORDERS_PER_DAY = 1000;
//! The most worlds one --random run draws.
inline constexpr int MAX_RANDOM_WORLDS = 1000;

//! The smallest magnitude drawn for a cause: sized from the cause's CX drop at its default
//! magnitude (docs/generator.md) so that the drop in its slice stays around 1.5 points or more.
double MinRandomMagnitude(generate::Cause cause);

//! True when `slice` is one the generator can inject `cause` in with a plausible effect: the
//! dimensions and values the cause's mechanism acts through (docs/evaluate.md lists them).
bool SliceFitsCause(generate::Cause cause, const generate::Slice& slice);

//! Expected orders per day (before incidents, over a mean week) of a slice in a world.
double ExpectedSliceOrders(const generate::World& world, const generate::Slice& slice);

//! Draws world `index` of the run seeded `seed`: the same (seed, index, days, orders_per_day)
//! always gives the same scenario, whatever else is drawn.
generate::Scenario DrawScenario(uint64_t seed, int index, int days, int64_t orders_per_day);

//! The worlds of a --random run, in index order; InvalidInput for counts or sizes out of range.
std::vector<generate::Scenario> DrawScenarios(const RandomWorlds& request);

//! The scenario as a YAML file (domain.md §6) that LoadScenario reads back to the same scenario.
std::string ScenarioYaml(const generate::Scenario& scenario);

}  // namespace cxagent::evaluate
