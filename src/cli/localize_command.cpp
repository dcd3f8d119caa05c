#include "cli/commands.hpp"
#include "localize/leaf_csv.hpp"
#include "localize/localizer.hpp"

#include <memory>

namespace cxagent::cli {

void AddLocalizeCommand(CLI::App& app) {
  auto* command = app.add_subcommand(
      "localize", "Find the slices that explain a change in a metric (generic CSV of leaves)");
  auto input = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  command->add_option("--input", *input, "CSV: dimension columns plus real/predict values")
      ->required();
  command->add_option("--out", *out, "Output JSON file (stdout when absent)");
  command->callback([input, out] {
    CheckOutputPath("--out", *out);
    localize::LeafTable table = localize::ReadLeafCsv(*input);
    localize::LocalizeResult result = localize::Localize(table);
    WriteOutput(*out, localize::RootCausesJson(result).dump(2) + "\n");
  });
}

}  // namespace cxagent::cli
