#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "recommend/sample.hpp"

namespace cxagent::storage {
class Dataset;
}

namespace cxagent::recommend {

//! How an action relates to its cause (interfaces.md §2).
enum class ActionKind {
  REVERT,    //!< restores the cause's driver to its pre-incident level
  IMPROVE,   //!< goes beyond the pre-incident level
  MITIGATE,  //!< softens a cause nobody can undo (weather, demand)
};

//! "revert", "improve" or "mitigate".
std::string_view ActionKindName(ActionKind kind);

//! One numeric parameter of an action template.
struct ParamSpec {
  std::string name;
  std::string description;
  double min = 0;
  double max = 1;
  bool integer = false;
};

//! Parameter values by name (always complete once resolved).
using ParamValues = std::map<std::string, double>;

//! What an action changes outside the CX model's orders: incentive dollars and supply.
struct ActionCosts {
  double incentive_per_dasher_hour = 0;  //!< bonus paid per active dasher-hour in the slice
  double supply_increase = 0;            //!< extra active dasher-hours, as a share
};

//! A parameter sweep for the CX vs efficiency chart.
struct Sweep {
  std::string param;
  std::vector<double> values;
};

//! An action a team can take against a cause, with the counterfactual change of drivers it
//! makes to the incident's orders.
struct ActionTemplate {
  std::string name;   //!< e.g. batching_cap
  std::string label;  //!< e.g. "Cap batching"
  std::vector<ParamSpec> params;
  //! The causes it answers and its kind for each.
  std::vector<std::pair<std::string, ActionKind>> causes;
  //! True when the action changes a shared resource (dispatch, supply, demand), so units in one
  //! arm of an experiment interfere with the other: experiments are switchbacks.
  bool marketplace_wide = false;
  //! The parameters that restore the pre-incident level, measured on the incident's sample.
  std::function<ParamValues(const IncidentSample&)> defaults;
  //! The action in words, for a slice in canonical text form.
  std::function<std::string(const ParamValues&, const std::string& slice)> describe;
  //! Applies the action to the incident rows.
  std::function<void(const ParamValues&, Counterfactual&)> apply;
  //! Costs outside the orders (incentives, extra supply); none by default.
  std::function<ActionCosts(const ParamValues&)> costs;
  //! The sweep charted for the CX vs efficiency frontier, when the template has one.
  std::optional<Sweep> sweep;
  //! The guardrail metric most at risk, for experiment plans.
  std::string guardrail;
  //! The contract columns behind the drivers it changes (rca::FeatureNeeds of the features it
  //! reads and sets): without them the action is not recommended.
  std::vector<std::string_view> needs;

  //! The kind of this template for `cause`, or nullopt when it does not answer the cause.
  std::optional<ActionKind> KindFor(std::string_view cause) const;
  //! Validates given parameters (a JSON object of numbers) and fills the absent ones from
  //! `defaults`. Throws InvalidInput naming the template and the parameter for an unknown
  //! parameter, a non-number, a non-integer where one is needed or a value out of range.
  ParamValues Resolve(const nlohmann::json& given, const IncidentSample& sample) const;
  //! Checks complete values (as Resolve does for given ones).
  void Validate(const ParamValues& values) const;
};

//! Action templates by name. Filled explicitly by RegisterBuiltinActionTemplates.
class ActionRegistry {
 public:
  //! Adds a template; throws InvalidInput when the name is empty or taken, when it would give
  //! a cause a second `revert` template, or when it needs a column the contract does not have.
  void Register(ActionTemplate action);
  //! The template `name`; throws InvalidInput listing the known names otherwise.
  const ActionTemplate& Find(std::string_view name) const;
  //! True when a template called `name` is registered.
  bool Contains(std::string_view name) const;
  //! Every template answering `cause`, the revert first.
  std::vector<const ActionTemplate*> ForCause(std::string_view cause) const;
  //! The revert template of `cause`, or nullptr (external causes have none).
  const ActionTemplate* RevertFor(std::string_view cause) const;
  //! Registered names in registration order.
  std::vector<std::string> Names() const;
  //! Every template in registration order.
  const std::vector<ActionTemplate>& All() const { return templates_; }

 private:
  std::vector<ActionTemplate> templates_;
};

//! Registers the built-in templates: one revert per actionable cause of domain.md §5, plus
//! improvements and mitigations.
void RegisterBuiltinActionTemplates(ActionRegistry& registry);

//! A template the data cannot support and the columns it lacks (`table.column`).
struct UnavailableAction {
  std::string name;
  std::vector<std::string> needs;
};

//! The templates of `registry` that `dataset` cannot support, in registration order.
std::vector<UnavailableAction> UnavailableActions(const ActionRegistry& registry,
                                                  const storage::Dataset& dataset);

}  // namespace cxagent::recommend
