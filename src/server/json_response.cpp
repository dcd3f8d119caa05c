#include "server/json_response.hpp"

namespace cxagent::server {

void SendJson(httplib::Response& response, const nlohmann::json& body, int status) {
  response.status = status;
  // Replacing bytes that are not UTF-8 keeps a response from failing on text a client sent;
  // the validation functions already reject such text, this is the last guard.
  response.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                       "application/json");
}

void SendError(httplib::Response& response, const Error& error, const nlohmann::json& details) {
  SendJson(response,
           {{"error",
             {{"code", ErrorCode(error.Type())}, {"message", error.what()}, {"details", details}}}},
           HttpStatus(error.Type()));
}

}  // namespace cxagent::server
