#include "server/json_response.hpp"

namespace cxagent::server {

void SendJson(httplib::Response& response, const nlohmann::json& body, int status) {
  response.status = status;
  response.set_content(body.dump(), "application/json");
}

void SendError(httplib::Response& response, const Error& error, const nlohmann::json& details) {
  SendJson(response,
           {{"error",
             {{"code", ErrorCode(error.Type())}, {"message", error.what()}, {"details", details}}}},
           HttpStatus(error.Type()));
}

}  // namespace cxagent::server
