// The analysis configuration file (`cxagent analyze --config`, `serve --config`): every stage's
// section through ReadAnalysisConfig, which reads a path, so the input goes through a file.

#include "fuzz_support.hpp"
#include "pipeline/analysis.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = cxagent::fuzz::Scratch().Write("config.yaml", data, size);
  cxagent::fuzz::Run([&] { cxagent::pipeline::ReadAnalysisConfig(path); });
  return 0;
}
