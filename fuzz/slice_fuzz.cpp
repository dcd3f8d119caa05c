// Slice text (`region=seattle&store_type=grocery`, the API's `cohort`, scenario and analysis
// slices): what Parse accepts must survive the round trips the project relies on.

#include "common/slice.hpp"
#include "fuzz_support.hpp"

#include <nlohmann/json.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cxagent::fuzz::Run([&] {
    const auto slice = cxagent::Slice::Parse(cxagent::fuzz::Text(data, size));
    const std::string text = slice.ToText();
    if (cxagent::Slice::Parse(text) != slice) cxagent::fuzz::Fail("text round trip", text);
    if (cxagent::Slice::FromJson(slice.ToJson()) != slice) {
      cxagent::fuzz::Fail("JSON round trip", text);
    }
    if (slice.Depth() != slice.Pairs().size() || slice.IsAll() != (text == "all")) {
      cxagent::fuzz::Fail("depth", text);
    }
  });
  return 0;
}
