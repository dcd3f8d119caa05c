#include "server/routes.hpp"

#include <algorithm>
#include <string_view>

#include "common/error.hpp"
#include "server/json_response.hpp"

namespace cxagent::server {

namespace {

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    segments.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return segments;
}

bool IsParameter(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// Segment by segment rather than by regex: every request walks every route, and this is the
// API's hot path.
bool Match(const std::vector<std::string>& pattern, const std::vector<std::string>& segments,
           PathParameters* parameters) {
  if (pattern.size() != segments.size()) return false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (IsParameter(pattern[i])) {
      if (segments[i].empty()) return false;
    } else if (pattern[i] != segments[i]) {
      return false;
    }
  }
  if (parameters != nullptr) {
    for (size_t i = 0; i < pattern.size(); ++i) {
      if (IsParameter(pattern[i])) {
        (*parameters)[pattern[i].substr(1, pattern[i].size() - 2)] = segments[i];
      }
    }
  }
  return true;
}

nlohmann::json ErrorResponse(const std::string& description) {
  return {
      {"description", description},
      {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
}

}  // namespace

void RouteTable::Add(Route route) {
  route.segments = SplitPath(route.path);
  routes_.push_back(std::move(route));
}

void RouteTable::Dispatch(const httplib::Request& request, httplib::Response& response) const {
  std::vector<std::string> allowed;
  const std::vector<std::string> segments = SplitPath(request.path);
  for (const auto& route : routes_) {
    if (!Match(route.segments, segments, nullptr)) continue;
    if (route.method == request.method) {
      PathParameters parameters;
      Match(route.segments, segments, &parameters);
      route.handler(request, response, parameters);
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

bool RouteTable::IsQuick(const std::string& method, const std::string& path) const {
  const std::vector<std::string> segments = SplitPath(path);
  return std::any_of(routes_.begin(), routes_.end(), [&](const Route& route) {
    return route.quick && route.method == method && Match(route.segments, segments, nullptr);
  });
}

bool RouteTable::Has(const std::string& method, const std::string& path) const {
  return std::any_of(routes_.begin(), routes_.end(), [&](const Route& route) {
    return route.method == method && route.path == path;
  });
}

nlohmann::json RouteTable::OpenApi(const std::string& version,
                                   const nlohmann::json& schemas) const {
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
    for (const auto& [status, description] : route.errors) {
      responses[std::to_string(status)] = ErrorResponse(description);
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
  nlohmann::json all_schemas = schemas;
  all_schemas["Error"] = {
      {"type", "object"},
      {"required", {"error"}},
      {"properties",
       {{"error",
         {{"type", "object"},
          {"required", {"code", "message", "details"}},
          {"properties",
           {{"code",
             {{"type", "string"},
              {"description",
               "invalid_input, not_found, conflict, unauthorized, payload_too_large, "
               "method_not_allowed, not_implemented, io_error or internal"}}},
            {"message", {{"type", "string"}, {"description", "what is wrong, naming the field"}}},
            {"details", {{"type", "object"}, {"additionalProperties", true}}}}}}}}}};
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
        {"schemas", all_schemas}}},
      {"security",
       nlohmann::json::array({nlohmann::json::object(), {{"bearer", nlohmann::json::array()}}})},
  };
}

}  // namespace cxagent::server
