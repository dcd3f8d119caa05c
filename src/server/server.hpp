#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "server/simulator.hpp"

namespace cxagent::server {

//! What `cxagent serve` needs to start.
struct ServerOptions {
  std::string host = "127.0.0.1";  //!< address to bind; loopback unless the user widens it
  int port = 8080;                 //!< TCP port; 0 picks a free one
  std::string data_dir;            //!< the data folder whose results are served
  std::string dataset_file;        //!< a dataset file mapping the team's exports (optional)
  //! where results are kept; empty: data_dir (required when data_dir is a ClickHouse URL)
  std::string results_dir;
  std::string schedule;          //!< "HH:MM": re-analyse daily at this local (market) time
  bool watch = false;            //!< re-analyse when the data's files change (debounced)
  int watch_debounce_ms = 5000;  //!< how long a change must hold still before it triggers
  std::string config_path;       //!< analysis configuration (YAML) for analyses the server runs
  std::shared_ptr<const Simulator> simulator;  //!< what-if and plans; null = not available
  std::string web_root;  //!< folder of the built dashboard (index.html and assets/)
  std::string token;     //!< when set, /api routes require `Authorization: Bearer <token>`
  //! Serve a non-loopback `host` without a token (RequireSafeExposure refuses it otherwise).
  bool insecure = false;
  std::vector<std::string> cors_origins;  //!< origins allowed cross-origin; empty = CORS off
  //! Threads that read, handle and write requests; a connection holds one only while its request
  //! is being handled (waiting connections hold none).
  size_t threads = 64;
};

//! True when `host` can only be reached from this machine: `localhost`, an address in
//! 127.0.0.0/8, `::1` (bracketed or not) or `::ffff:127.x.y.z`. Other names are not resolved and
//! count as reachable from elsewhere.
bool IsLoopbackHost(std::string_view host);

//! Throws InvalidInput (one line saying why and what to do) when `options` would serve a
//! non-loopback host without a token and without `insecure`: the API reads and changes data.
void RequireSafeExposure(const ServerOptions& options);

//! The REST API and the dashboard's static files on one port.
class ApiServer {
 public:
  //! Loads the data folder's stored results (running the analysis first when there are none)
  //! and registers the routes; throws what the analysis or the results store throw.
  explicit ApiServer(ServerOptions options);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  //! Binds the socket; returns the bound port (useful with port 0). Throws Io when it cannot bind.
  int Bind();
  //! Serves until Stop() is called; Bind() must have succeeded.
  void Serve();
  //! The OpenAPI document of every route.
  const std::string& OpenApiDocument() const;
  //! Asks Serve() to return after in-flight requests; safe from any thread.
  void Stop();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

//! The OpenAPI document of every route, without loading any data (for `serve --openapi`).
nlohmann::json OpenApiDocument();

//! Runs a server in the foreground until SIGINT or SIGTERM, printing the URL on stderr.
void RunUntilSignalled(const ServerOptions& options);

}  // namespace cxagent::server
