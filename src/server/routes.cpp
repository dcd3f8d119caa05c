#include "server/routes.hpp"

#include "common/error.hpp"
#include "server/json_response.hpp"

namespace cxagent::server {

namespace {

std::regex PatternFor(const std::string& path) {
  static const std::regex PARAMETER(R"(\{[a-z_]+\})");
  return std::regex(std::regex_replace(path, PARAMETER, "([^/]+)"));
}

nlohmann::json ErrorResponse(const std::string& description) {
  return {
      {"description", description},
      {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
}

}  // namespace

void RouteTable::Add(Route route) {
  route.pattern = PatternFor(route.path);
  routes_.push_back(std::move(route));
}

void RouteTable::Dispatch(const httplib::Request& request, httplib::Response& response) const {
  std::vector<std::string> allowed;
  for (const auto& route : routes_) {
    if (!std::regex_match(request.path, route.pattern)) continue;
    if (route.method == request.method) {
      route.handler(request, response);
      return;
    }
    allowed.push_back(route.method);
  }
  if (allowed.empty()) {
    SendError(response, NotFound("no API route {} {}", request.method, request.path),
              {{"path", request.path}});
    return;
  }
  std::string allow;
  for (const auto& method : allowed) allow += (allow.empty() ? "" : ", ") + method;
  response.set_header("Allow", allow);
  SendError(response,
            Error(ErrorType::METHOD_NOT_ALLOWED, "{} is not allowed on {}; allowed: {}",
                  request.method, request.path, allow),
            {{"path", request.path}, {"allowed", allowed}});
}

nlohmann::json RouteTable::OpenApi(const std::string& version) const {
  nlohmann::json paths = nlohmann::json::object();
  for (const auto& route : routes_) {
    nlohmann::json responses = route.responses;
    responses["400"] = ErrorResponse("A malformed parameter or body; the message names it");
    responses["401"] = ErrorResponse("A bearer token is required and was missing or wrong");
    responses["500"] = ErrorResponse("An internal error");
    if (route.path.find('{') != std::string::npos) {
      responses["404"] = ErrorResponse("No such resource");
    }
    if (!route.request_body.is_null()) {
      responses["413"] = ErrorResponse("The body is larger than 1 MiB");
    }
    nlohmann::json operation = {
        {"summary", route.summary},
        {"operationId", route.method + " " + route.path},
        {"parameters", route.parameters.is_null() ? nlohmann::json::array() : route.parameters},
        {"responses", responses}};
    if (!route.request_body.is_null()) operation["requestBody"] = route.request_body;
    std::string method = route.method;
    std::transform(method.begin(), method.end(), method.begin(), ::tolower);
    paths[route.path][method] = operation;
  }
  return {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "cxagent API"},
        {"version", version},
        {"description",
         "Customer-experience regressions in fulfillment data: incidents, root "
         "causes and recommended actions."}}},
      {"paths", paths},
      {"components",
       {{"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}},
        {"schemas",
         {{"Error",
           {{"type", "object"},
            {"required", {"error"}},
            {"properties",
             {{"error",
               {{"type", "object"},
                {"required", {"code", "message", "details"}},
                {"properties",
                 {{"code", {{"type", "string"}}},
                  {"message", {{"type", "string"}}},
                  {"details", {{"type", "object"}}}}}}}}}}}}}}},
      {"security",
       nlohmann::json::array({nlohmann::json::object(), {{"bearer", nlohmann::json::array()}}})},
  };
}

}  // namespace cxagent::server
