#pragma once

#include <memory>
#include <string>
#include <vector>

namespace cxagent::server {

//! What `cxagent serve` needs to start.
struct ServerOptions {
  std::string host = "127.0.0.1";  //!< address to bind; loopback unless the user widens it
  int port = 8080;                 //!< TCP port; 0 picks a free one
  std::string data_dir;            //!< the data folder whose results are served
  std::string web_root;            //!< folder of the built dashboard (index.html and assets/)
  std::string token;  //!< when set, /api routes require `Authorization: Bearer <token>`
  std::vector<std::string> cors_origins;  //!< origins allowed cross-origin; empty = CORS off
};

//! The REST API and the dashboard's static files on one port.
class ApiServer {
 public:
  //! Loads what the routes answer from (the data folder's summary) and registers the routes;
  //! throws InvalidInput for a bad data folder or web root.
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

//! Runs a server in the foreground until SIGINT or SIGTERM, printing the URL on stderr.
void RunUntilSignalled(const ServerOptions& options);

}  // namespace cxagent::server
