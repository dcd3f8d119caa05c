#include <algorithm>
#include <filesystem>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "common/error.hpp"
#include "evaluate/evaluate.hpp"

namespace cxagent::cli {

namespace {

// A folder stands for its *.yaml files, sorted so runs are reproducible.
std::vector<std::string> ExpandScenarios(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const auto& path : paths) {
    if (fs::is_directory(path)) {
      std::vector<std::string> found;
      for (const auto& entry : fs::directory_iterator(path)) {
        if (entry.is_regular_file() && entry.path().extension() == ".yaml") {
          found.push_back(entry.path().string());
        }
      }
      if (found.empty()) throw InvalidInput("--suite: no .yaml scenario files in {}", path);
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(path)) {
      files.push_back(path);
    } else {
      throw NotFound("--suite: no such file or folder: {}", path);
    }
  }
  return files;
}

}  // namespace

void AddEvaluateCommand(CLI::App& app) {
  auto* command = app.add_subcommand(
      "evaluate",
      "Generate scenario worlds (the suites' files or worlds drawn at random), analyse them and "
      "score detection, localization, root cause and what-if against their truth.json");
  struct Options {
    std::vector<std::string> suite;
    int days = 0;
    int64_t orders_per_day = 0;
    std::string work_dir;
    bool keep = false;
    std::string config;
    std::string out;
    bool whatif = false;
    int random = 0;
    int64_t seed = 0;
  };
  auto options = std::make_shared<Options>();
  auto* suite_option =
      command->add_option("--suite", options->suite, "Scenario files or folders of them");
  auto* random_option =
      command
          ->add_option("--random", options->random,
                       "Instead of --suite: draw N unseen worlds at random (docs/evaluate.md)")
          ->transform(IntegerIn(1, evaluate::MAX_RANDOM_WORLDS));
  auto* seed_option =
      command
          ->add_option("--seed", options->seed, "With --random: the seed the worlds are drawn from")
          ->transform(IntegerIn(0, std::numeric_limits<int64_t>::max()));
  // Range-checked with each scenario, like generate's; checked as text first so that nothing
  // wraps or clamps.
  auto* days_option =
      command
          ->add_option("--days", options->days,
                       "Override each scenario's days (with --random: each world's, "
                       "default 42)")
          ->transform(IntegerIn(std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
  auto* orders_option =
      command
          ->add_option("--orders-per-day", options->orders_per_day,
                       "Override each scenario's orders per day (with --random: each "
                       "world's, default 3000)")
          ->transform(
              IntegerIn(std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()));
  command->add_option("--work-dir", options->work_dir,
                      "Where worlds are generated (default: a temporary folder)");
  command->add_flag("--keep", options->keep, "Keep the generated worlds");
  command->add_option("--config", options->config, "Analysis configuration YAML file");
  command->add_option("--out", options->out, "Write the report as JSON to this file");
  command->add_flag("--whatif", options->whatif,
                    "Also score what-if accuracy against each scenario generated --without its "
                    "incident");
  command->callback([options, days_option, orders_option, suite_option, random_option,
                     seed_option] {
    const bool random = random_option->count() > 0;
    if (random && suite_option->count() > 0) {
      throw InvalidInput(
          "--suite and --random are exclusive; score the suites (in-sample) and random worlds "
          "(out-of-sample) in separate runs");
    }
    if (!random && suite_option->count() == 0) {
      throw InvalidInput("evaluate: give --suite FILES or --random N --seed S");
    }
    if (random && seed_option->count() == 0) {
      throw InvalidInput("--random: needs --seed S, the seed the worlds are drawn from");
    }
    if (!random && seed_option->count() > 0) {
      throw InvalidInput("--seed: only with --random (a suite's scenarios carry their own seeds)");
    }
    CheckOutputPath("--out", options->out);
    evaluate::EvaluateRequest request;
    request.config = pipeline::ReadAnalysisConfig(options->config);
    if (random) {
      // The drawn worlds carry their size; it is not applied again as an override.
      evaluate::RandomWorlds worlds;
      worlds.count = options->random;
      worlds.seed = static_cast<uint64_t>(options->seed);
      if (days_option->count() > 0) worlds.days = options->days;
      if (orders_option->count() > 0) worlds.orders_per_day = options->orders_per_day;
      request.random = worlds;
    } else {
      request.scenarios = ExpandScenarios(options->suite);
      if (days_option->count() > 0) request.days = options->days;
      if (orders_option->count() > 0) request.orders_per_day = options->orders_per_day;
    }
    request.work_dir = options->work_dir;
    request.keep = options->keep;
    request.whatif = options->whatif;
    const evaluate::EvaluateReport report = evaluate::RunEvaluation(request);
    std::cout << evaluate::ReportText(report) << std::flush;
    if (!options->out.empty()) {
      WriteOutput(options->out, evaluate::ReportJson(report).dump(2) + "\n");
    }
  });
}

}  // namespace cxagent::cli
