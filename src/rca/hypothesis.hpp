#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cxagent::storage {
class Dataset;
}

namespace cxagent::rca {

//! Which way a metric moves under a hypothesis.
enum class Direction { UP, DOWN };

//! "up" or "down".
std::string_view DirectionName(Direction direction);

//! A driver metric a hypothesis predicts to move (a PanelMetrics() name).
struct DriverSpec {
  std::string metric;
  Direction direction = Direction::UP;
  //! When set, the metric is also the order-level mean of this OrderFeatures() column over
  //! dispatched orders, and its shift is tested net of `adjust_for`: each order's value is
  //! compared with the baseline's at the same level of that feature (for example batching, which
  //! rises by itself when the marketplace is busy).
  std::string order_feature;
  std::string adjust_for;
  //! A signature driver moves only (or first) under this cause: the shift tests of the signature
  //! drivers decide the driver evidence. The others are the mechanism's path to CX, shown as
  //! evidence.
  bool signature = false;
  //! Hypotheses whose own signature also moves this driver (busyness raises batching; a demand
  //! surge slows assignment). The driver's evidence is discounted by their evidence: it counts
  //! only as far as they do not explain it.
  std::vector<std::string> explained_by = {};
};

//! A cause of domain.md §5 as a testable hypothesis: what it moves, how that reaches the CX Score
//! and what evidence bears on it.
struct Hypothesis {
  std::string id;          //!< the cause id (domain.md §5)
  std::string label;       //!< for people: "Batching expansion"
  bool actionable = true;  //!< false for external causes (mitigate, not revert)
  //! How it hurts CX, for the narrative ("later deliveries from batching detours").
  std::string mechanism;
  //! The driver metrics; at least one is a signature.
  std::vector<DriverSpec> drivers;
  //! The component metric of the CX Score it should move, and which way.
  std::string outcome;
  Direction outcome_direction = Direction::DOWN;
  //! SHAP features that carry only this cause's effect (OrderFeatures() names).
  std::vector<std::string> own_features;
  //! SHAP features other causes move too (busy ratio, assignment delay, ...): their change is
  //! shared among the hypotheses naming them in proportion to the driver evidence.
  std::vector<std::string> shared_features;
  //! change_log kinds consistent with the cause (empty for external causes, which are not logged).
  std::vector<std::string> change_kinds;
};

//! The hypothesis library, by cause id. Filled explicitly by RegisterBuiltinHypotheses.
class HypothesisRegistry {
 public:
  //! Adds a hypothesis; throws InvalidInput when the id is empty or taken, when it has no
  //! signature driver, or names an unknown metric, feature or change kind (the message says
  //! which). Hypotheses named in `explained_by` are checked by Validate, once all are registered.
  void Register(Hypothesis hypothesis);
  //! The hypothesis `id`; throws InvalidInput listing the known ids otherwise.
  const Hypothesis& Find(std::string_view id) const;
  //! True when `id` is registered.
  bool Contains(std::string_view id) const;
  //! Every hypothesis in registration order.
  const std::vector<Hypothesis>& All() const { return hypotheses_; }
  //! The registered ids in registration order.
  std::vector<std::string> Names() const;
  //! Throws InvalidInput when a driver's `explained_by` names an unregistered hypothesis.
  void Validate() const;

 private:
  std::vector<Hypothesis> hypotheses_;
};

//! The change_log kinds of domain.md §2.
const std::vector<std::string>& ChangeKinds();

//! Registers the ten causes of domain.md §5.
void RegisterBuiltinHypotheses(HypothesisRegistry& registry);

//! Why `dataset` cannot test `hypothesis`: the columns it lacks (`table.column`, each once) for
//! the hypothesis' outcome metric, and for its signature drivers when it can measure none of them
//! (any one would do). Empty when the outcome and at least one signature driver can be measured:
//! the hypothesis is then tested on the drivers the data has.
std::vector<std::string> UntestableNeeds(const Hypothesis& hypothesis,
                                         const storage::Dataset& dataset);

}  // namespace cxagent::rca
