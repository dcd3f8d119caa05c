#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string_view>

#include "common/error.hpp"

namespace cxagent::server {

//! Writes `body` as a JSON response with `status`.
void SendJson(httplib::Response& response, const nlohmann::json& body, int status = 200);

//! Writes the API's error shape `{"error": {"code", "message", "details"}}` for `error`.
void SendError(httplib::Response& response, const Error& error,
               const nlohmann::json& details = nlohmann::json::object());

}  // namespace cxagent::server
