#include "server/server.hpp"

#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include "server/http.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "common/file.hpp"
#include "server/api_handlers.hpp"
#include "server/json_response.hpp"
#include "server/openapi_schemas.hpp"
#include "server/request_params.hpp"
#include "server/routes.hpp"
#include "server/static_files.hpp"

namespace cxagent::server {

namespace {

constexpr size_t MAX_BODY_BYTES = 1 << 20;
// Keep-alive connections stay open for a whole benchmark or dashboard session; httplib's default
// of 5 requests per connection would make clients reconnect constantly.
constexpr size_t KEEP_ALIVE_MAX_REQUESTS = 100000;

void SendCaught(const httplib::Request& request, httplib::Response& response) {
  try {
    throw;
  } catch (const ApiError& error) {
    SendError(response, error, error.Details());
  } catch (const Error& error) {
    if (HttpStatus(error.Type()) >= 500 && error.Type() != ErrorType::NOT_IMPLEMENTED) {
      spdlog::error("{} {}: {}", request.method, request.path, error.what());
    }
    SendError(response, error);
  } catch (const std::exception& error) {
    spdlog::error("{} {}: {}", request.method, request.path, error.what());
    SendError(response, InternalError("internal error: {}", error.what()));
  }
}

thread_local std::chrono::steady_clock::time_point request_start;

// The routes that read no data: the document (`*openapi`, filled once every route is added) and
// its page. `openapi` is null when only the document is wanted (`serve --openapi`); the handlers
// are then never called.
void RegisterDocumentRoutes(RouteTable& routes, const std::string* openapi, std::string web_root) {
  routes.Add(
      {.method = "GET",
       .path = "/api/openapi.json",
       .summary = "This API's OpenAPI 3 document",
       .parameters = nlohmann::json::array(),
       .responses = {{"200",
                      {{"description", "The OpenAPI document"},
                       {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}}}},
       .handler = [openapi](const httplib::Request& request, httplib::Response& response,
                            const PathParameters&) {
         const QueryReader query(request, {});
         response.set_content(*openapi, "application/json");
       }});
  routes.Add({.method = "GET",
              .path = "/api/docs",
              .summary = "Interactive documentation of this API (HTML, from the web build)",
              .parameters = nlohmann::json::array(),
              .responses = {{"200",
                             {{"description", "The documentation page"},
                              {"content", {{"text/html", {{"schema", {{"type", "string"}}}}}}}}}},
              .handler = [web_root](const httplib::Request&, httplib::Response& response,
                                    const PathParameters&) {
                const auto page = std::filesystem::path(web_root) / "docs.html";
                std::error_code error;
                if (!std::filesystem::is_regular_file(page, error)) {
                  throw NotFound("the API documentation page is not built ({} is missing)",
                                 page.string());
                }
                response.set_header("Cache-Control", "no-cache");
                response.set_content(ReadFile(page.string()), "text/html; charset=utf-8");
              }});
}

}  // namespace

struct ApiServer::State {
  explicit State(ServerOptions server_options)
      : options(std::move(server_options)),
        handlers(options.data_dir, pipeline::ReadAnalysisConfig(options.config_path),
                 options.simulator) {}

  ServerOptions options;
  ApiHandlers handlers;
  httplib::Server http;
  RouteTable routes;
  std::string openapi;
  socket_t listen_socket = INVALID_SOCKET;
  // Stop before Serve has started listening must still stop it: httplib's stop() does nothing
  // until the listen loop runs, so Stop and Serve meet through these two flags.
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> serving{false};

  // httplib listens with a backlog of 5 (a compile-time constant of the library), so a burst of
  // new connections (a dashboard opening, a benchmark starting) overflows the accept queue and
  // clients stall or fail. Listening again on Linux only raises the backlog.
  void RaiseBacklog() const {
    if (listen_socket != INVALID_SOCKET) ::listen(listen_socket, SOMAXCONN);
  }

  // Answers the CORS preflight and adds the allow header for listed origins only; CORS is off
  // when no origin is listed.
  void ApplyCors(const httplib::Request& request, httplib::Response& response) const {
    const std::string origin = request.get_header_value("Origin");
    if (origin.empty()) return;
    const auto& allowed = options.cors_origins;
    if (std::find(allowed.begin(), allowed.end(), origin) == allowed.end()) return;
    response.set_header("Access-Control-Allow-Origin", origin);
    response.set_header("Vary", "Origin");
    response.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type");
    response.set_header("Access-Control-Allow-Methods", "GET, POST, PATCH, OPTIONS");
  }

  // With a token configured, every /api route needs `Authorization: Bearer <token>`.
  bool Authorized(const httplib::Request& request) const {
    if (options.token.empty()) return true;
    const std::string expected = "Bearer " + options.token;
    const std::string given = request.get_header_value("Authorization");
    // Compare in constant time so the token cannot be guessed byte by byte from timings.
    if (given.size() != expected.size()) return false;
    unsigned char difference = 0;
    for (size_t i = 0; i < given.size(); ++i) {
      difference |= static_cast<unsigned char>(given[i] ^ expected[i]);
    }
    return difference == 0;
  }

  void HandleApi(const httplib::Request& request, httplib::Response& response) const {
    ApplyCors(request, response);
    // The documentation page holds no data (it asks for the token to fetch the document), so it
    // stays reachable when a token is configured.
    if (!Authorized(request) && request.path != "/api/docs") {
      response.set_header("WWW-Authenticate", "Bearer");
      SendError(response,
                Error(ErrorType::UNAUTHORIZED,
                      "this server requires 'Authorization: Bearer <token>' on /api routes"));
      return;
    }
    try {
      routes.Dispatch(request, response);
    } catch (...) {
      SendCaught(request, response);
    }
  }

  void ServeStatic(const httplib::Request& request, httplib::Response& response) const {
    const auto file = ResolveStaticFile(options.web_root, request.path);
    if (!file) {
      SendError(response, NotFound("no file at {}", request.path), {{"path", request.path}});
      return;
    }
    std::string content;
    try {
      content = ReadFile(file->path);
    } catch (const Error& error) {
      SendError(response, error);
      return;
    }
    response.set_header("Cache-Control",
                        file->immutable ? "public, max-age=31536000, immutable" : "no-cache");
    response.set_content(std::move(content), file->content_type.c_str());
  }

  void RegisterRoutes() {
    handlers.Register(routes);
    RegisterDocumentRoutes(routes, &openapi, options.web_root);
    openapi = routes.OpenApi(CXAGENT_VERSION, openapi::Schemas()).dump();

    const auto api = [this](const httplib::Request& request, httplib::Response& response) {
      HandleApi(request, response);
    };
    const std::string api_pattern = R"(/api(/.*)?)";
    http.Get(api_pattern, api);
    http.Post(api_pattern, api);
    http.Put(api_pattern, api);
    http.Patch(api_pattern, api);
    http.Delete(api_pattern, api);
    http.Options(".*", [this](const httplib::Request& request, httplib::Response& response) {
      ApplyCors(request, response);
      response.status = 204;
    });
    http.Get(".*", [this](const httplib::Request& request, httplib::Response& response) {
      ServeStatic(request, response);
    });
    const auto not_allowed = [](const httplib::Request& request, httplib::Response& response) {
      response.set_header("Allow", "GET");
      SendError(response,
                Error(ErrorType::METHOD_NOT_ALLOWED, "{} is not allowed on {}; allowed: GET",
                      request.method, request.path),
                {{"path", request.path}, {"allowed", {"GET"}}});
    };
    http.Post(".*", not_allowed);
    http.Put(".*", not_allowed);
    http.Patch(".*", not_allowed);
    http.Delete(".*", not_allowed);
  }

  void ConfigureHttp() {
    http.set_payload_max_length(MAX_BODY_BYTES);
    http.set_keep_alive_max_count(KEEP_ALIVE_MAX_REQUESTS);
    // httplib writes headers and body separately; with Nagle's algorithm the body then waits for
    // the client's delayed ACK (~40 ms per keep-alive request).
    http.set_tcp_nodelay(true);
    // httplib's default pool (a few threads) serves a few keep-alive connections at a time and
    // queues the rest, which shows up as a p99 of seconds under 32 connections.
    const size_t threads = std::max<size_t>(options.threads, 4);
    http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    // httplib's default also sets SO_REUSEPORT, which would let a second server silently share
    // the port; SO_REUSEADDR alone allows quick restarts without that.
    http.set_socket_options([this](socket_t socket) {
      int yes = 1;
      setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
      listen_socket = socket;
    });
    http.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
      request_start = std::chrono::steady_clock::now();
      return httplib::Server::HandlerResponse::Unhandled;
    });
    http.set_error_handler([](const httplib::Request& request, httplib::Response& response) {
      if (!response.body.empty()) return;
      // httplib answers some errors itself (oversized bodies, malformed requests) with no body.
      const ErrorType type = response.status == 413   ? ErrorType::PAYLOAD_TOO_LARGE
                             : response.status == 404 ? ErrorType::NOT_FOUND
                             : response.status >= 500 ? ErrorType::INTERNAL
                                                      : ErrorType::INVALID_INPUT;
      const int status = response.status;
      SendError(
          response,
          Error(type, "{} {} failed with HTTP status {}", request.method, request.path, status),
          {{"path", request.path}});
      response.status = status;
    });
    http.set_exception_handler(
        [](const httplib::Request& request, httplib::Response& response, std::exception_ptr ex) {
          try {
            std::rethrow_exception(ex);
          } catch (...) {
            SendCaught(request, response);
          }
        });
    http.set_logger([](const httplib::Request& request, const httplib::Response& response) {
      const auto elapsed = std::chrono::duration<double, std::milli>(
                               std::chrono::steady_clock::now() - request_start)
                               .count();
      spdlog::info("{} {} {} {:.2f} ms", request.method, request.path, response.status, elapsed);
    });
  }
};

ApiServer::ApiServer(ServerOptions options) : state_(std::make_unique<State>(std::move(options))) {
  state_->handlers.Load();
  std::error_code error;
  if (!std::filesystem::is_regular_file(
          std::filesystem::path(state_->options.web_root) / "index.html", error)) {
    spdlog::warn("no dashboard build at {} (index.html missing): only the API is served",
                 state_->options.web_root);
  }
  state_->ConfigureHttp();
  state_->RegisterRoutes();
}

ApiServer::~ApiServer() = default;

int ApiServer::Bind() {
  const auto& options = state_->options;
  if (options.port == 0) {
    const int port = state_->http.bind_to_any_port(options.host);
    if (port < 0) throw IoError("cannot bind {}: no free port", options.host);
    state_->RaiseBacklog();
    return port;
  }
  if (!state_->http.bind_to_port(options.host, options.port)) {
    throw IoError("cannot bind {}:{} (in use, or not an address of this machine)", options.host,
                  options.port);
  }
  state_->RaiseBacklog();
  return options.port;
}

void ApiServer::Serve() {
  state_->serving = true;
  if (state_->stop_requested) {
    state_->serving = false;
    return;
  }
  const bool clean = state_->http.listen_after_bind();
  state_->serving = false;
  if (!clean) throw IoError("the server stopped unexpectedly");
}

const std::string& ApiServer::OpenApiDocument() const {
  return state_->openapi;
}

void ApiServer::Stop() {
  state_->stop_requested = true;
  while (state_->serving && !state_->http.is_running()) std::this_thread::yield();
  state_->http.stop();
}

nlohmann::json OpenApiDocument() {
  // Routes are registered without loading data: the document depends on the code only.
  ApiHandlers handlers("", pipeline::AnalysisConfig{}, nullptr);
  RouteTable routes;
  handlers.Register(routes);
  RegisterDocumentRoutes(routes, nullptr, "");
  return routes.OpenApi(CXAGENT_VERSION, openapi::Schemas());
}

void RunUntilSignalled(const ServerOptions& options) {
  // Block the stop signals in every thread, then wait for them on one thread: no work happens
  // inside a signal handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  ApiServer server(options);
  const int port = server.Bind();
  std::thread waiter([&server, signals] {
    int received = 0;
    sigwait(&signals, &received);
    spdlog::info("received signal {}, shutting down", received);
    server.Stop();
  });
  spdlog::info("serving {} on http://{}:{}/", options.data_dir, options.host, port);
  std::fprintf(stderr, "cxagent: dashboard at http://%s:%d/\n", options.host.c_str(), port);
  try {
    server.Serve();
  } catch (...) {
    pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
    throw;
  }
  waiter.join();
  spdlog::info("server stopped");
}

}  // namespace cxagent::server
