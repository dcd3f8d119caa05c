#include "generate/run.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "generate/generator.hpp"
#include "generate/writer.hpp"

namespace cxagent::generate {

int64_t RunGenerate(const GenerateRequest& request) {
  auto started = std::chrono::steady_clock::now();
  // Everything that can be rejected is checked before the output folder is touched.
  const storage::FileFormat format = ParseOutputFormat(request.format);
  ScenarioOverrides overrides{request.seed, request.days, request.orders_per_day};
  Scenario scenario = LoadScenario(request.scenario_path, overrides);
  if (request.without) CheckIncidentId(scenario, *request.without);

  GenerateOptions options;
  options.without = request.without;
  options.threads = request.threads > 0
                        ? request.threads
                        : std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
  const bool bar = request.progress && isatty(fileno(stderr)) != 0;
  if (bar) {
    options.progress = [](int done, int total) {
      int width = 40;
      int filled = done * width / total;
      fmt::print(stderr, "\rgenerating [{}{}] {}/{} days",
                 std::string(static_cast<size_t>(filled), '#'),
                 std::string(static_cast<size_t>(width - filled), ' '), done, total);
      if (done == total) fmt::print(stderr, "; writing files...");
      std::fflush(stderr);
    };
  }
  WorldWriter writer(request.out_dir, format, scenario.regions);
  GenerateSummary summary = GenerateWorld(scenario, writer, options);
  writer.Commit(TruthJson(scenario, options, summary));
  if (bar) fmt::print(stderr, "\r\033[K");
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::string rows;
  for (size_t t = 0; t < summary.rows.size(); ++t) {
    rows +=
        fmt::format("{}{}={}", t == 0 ? "" : " ", WorldTables::TableNames()[t], summary.rows[t]);
  }
  fmt::print(stderr, "generated {} orders in {:.2f} s ({:.0f} orders/s) into {}: {}\n",
             summary.orders, seconds, static_cast<double>(summary.orders) / seconds,
             request.out_dir, rows);
  return summary.orders;
}

}  // namespace cxagent::generate
