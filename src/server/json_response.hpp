#pragma once

#include "server/http.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace cxagent::server {

//! An Error that carries the `details` object of the API's error shape (for instance the
//! parameter a 400 is about), so handlers can throw and the exception handler can render it.
class ApiError : public Error {
 public:
  //! An error of `type` with `details` and an already formatted message.
  ApiError(ErrorType type, nlohmann::json details, std::string message)
      : Error(type, std::move(message)), details_(std::move(details)) {}
  //! The error's details object.
  const nlohmann::json& Details() const { return details_; }

 private:
  nlohmann::json details_;
};

//! A 400 about one query parameter or body field: details `{"parameter": name}`.
template <typename... Args>
ApiError BadParameter(std::string_view name, fmt::format_string<Args...> format, Args&&... args) {
  return ApiError(ErrorType::INVALID_INPUT, {{"parameter", name}},
                  fmt::format(format, std::forward<Args>(args)...));
}

//! Writes `body` as a JSON response with `status`.
void SendJson(httplib::Response& response, const nlohmann::json& body, int status = 200);

//! Writes the API's error shape `{"error": {"code", "message", "details"}}` for `error`.
void SendError(httplib::Response& response, const Error& error,
               const nlohmann::json& details = nlohmann::json::object());

}  // namespace cxagent::server
