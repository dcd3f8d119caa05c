#pragma once

#include "server/http.hpp"

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cxagent::server {

//! The values of a route's path parameters by name, e.g. {"id": "INC-0001"}.
using PathParameters = std::map<std::string, std::string>;

//! Handles one API request; throws cxagent::Error for anything the client got wrong.
using RouteHandler =
    std::function<void(const httplib::Request&, httplib::Response&, const PathParameters&)>;

//! One API route with its documentation: the single place both the router and the OpenAPI
//! document read, so every route is documented and every documented route exists.
struct Route {
  std::string method;                     //!< GET, POST, PATCH, ...
  std::string path;                       //!< OpenAPI path template, e.g. /api/incidents/{id}
  std::string summary;                    //!< one line for the documentation
  nlohmann::json parameters;              //!< OpenAPI parameter objects (array)
  nlohmann::json request_body = nullptr;  //!< OpenAPI requestBody object, or null
  nlohmann::json responses =
      nlohmann::json::object();  //!< OpenAPI responses object (success cases; errors are added)
  std::map<int, std::string> errors{};  //!< error statuses beyond 400/401/404/413/500, described
  //! True when the handler answers from memory at once (no computation that can take long, no
  //! file I/O): it then runs on an I/O thread instead of waiting for a worker.
  bool quick = false;
  RouteHandler handler = nullptr;
  std::vector<std::string> segments{};  //!< derived from `path`; `{name}` matches one segment
};

//! The API's routes; dispatches requests and renders the OpenAPI document.
class RouteTable {
 public:
  //! Adds a route; `path` segments in braces become path parameters.
  void Add(Route route);
  //! Calls the matching route; throws NotFound for an unknown path and MethodNotAllowed (with the
  //! allowed methods in `allowed`) for a known path with another method.
  void Dispatch(const httplib::Request& request, httplib::Response& response) const;
  //! The OpenAPI 3 document of every route, with the shared error shape and `schemas` (named
  //! component schemas the routes refer to with $ref).
  nlohmann::json OpenApi(const std::string& version, const nlohmann::json& schemas) const;
  //! True when the route `method` `path` (a request path) matches is marked quick.
  bool IsQuick(const std::string& method, const std::string& path) const;
  //! True when some route has this method and path template (for tests of the document).
  bool Has(const std::string& method, const std::string& path) const;
  //! The routes, in registration order.
  const std::vector<Route>& Routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace cxagent::server
