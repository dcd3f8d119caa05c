#include "common/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include "common/error.hpp"

namespace cxagent {

void InitLogging(std::string_view level) {
  const auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") {
    throw InvalidInput("log level '{}' is not one of trace, debug, info, warn, error, off", level);
  }
  auto logger = spdlog::stderr_color_mt("cxagent");
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  logger->set_level(parsed);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace cxagent
