#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

namespace cxagent {

//! Sends the default spdlog logger to stderr (never stdout, which carries command output) at
//! `level` ("debug", "info", "warn", "error"); throws InvalidInput for another level.
void InitLogging(std::string_view level = "info");

}  // namespace cxagent
