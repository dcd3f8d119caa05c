#include "server/server.hpp"

#include <httplib.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <regex>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "common/file.hpp"
#include "server/json_response.hpp"
#include "server/static_files.hpp"
#include "storage/data_folder.hpp"
#include "storage/duckdb.hpp"

namespace cxagent::server {

namespace {

constexpr size_t MAX_BODY_BYTES = 1 << 20;

using RouteHandler = std::function<void(const httplib::Request&, httplib::Response&)>;

//! One API route: a method and a path pattern (std::regex, anchored).
struct Route {
  std::string method;
  std::regex pattern;
  std::string pattern_text;
  RouteHandler handler;
};

thread_local std::chrono::steady_clock::time_point request_start;

}  // namespace

struct ApiServer::State {
  ServerOptions options;
  httplib::Server http;
  std::vector<Route> routes;
  nlohmann::json health;

  // Finds the route for a request: 404 when no pattern matches the path, 405 with the allowed
  // methods when the path exists for other methods.
  void Dispatch(const httplib::Request& request, httplib::Response& response) {
    std::vector<std::string> allowed;
    for (const auto& route : routes) {
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

  void AddRoute(std::string method, std::string pattern, RouteHandler handler) {
    routes.push_back(Route{std::move(method), std::regex(pattern), pattern, std::move(handler)});
  }

  void RegisterRoutes() {
    AddRoute("GET", "/api/health", [this](const httplib::Request&, httplib::Response& response) {
      SendJson(response, health);
    });

    const auto dispatch = [this](const httplib::Request& request, httplib::Response& response) {
      Dispatch(request, response);
    };
    const std::string api = R"(/api(/.*)?)";
    http.Get(api, dispatch);
    http.Post(api, dispatch);
    http.Put(api, dispatch);
    http.Patch(api, dispatch);
    http.Delete(api, dispatch);
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
    // httplib's default also sets SO_REUSEPORT, which would let a second server silently share
    // the port; SO_REUSEADDR alone allows quick restarts without that.
    http.set_socket_options([](socket_t socket) {
      int yes = 1;
      setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
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
          } catch (const Error& error) {
            SendError(response, error);
          } catch (const std::exception& error) {
            spdlog::error("{} {}: {}", request.method, request.path, error.what());
            SendError(response, InternalError("internal error: {}", error.what()));
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

ApiServer::ApiServer(ServerOptions options) : state_(std::make_unique<State>()) {
  state_->options = std::move(options);
  storage::Database database;
  storage::Connection connection(database);
  const storage::DataSummary summary = SummarizeData(connection, state_->options.data_dir);
  nlohmann::json data = {
      {"orders", summary.orders},
      {"start_date",
       summary.start_date.empty() ? nlohmann::json(nullptr) : nlohmann::json(summary.start_date)},
      {"end_date",
       summary.end_date.empty() ? nlohmann::json(nullptr) : nlohmann::json(summary.end_date)}};
  state_->health = {{"status", "ok"}, {"version", CXAGENT_VERSION}, {"data", data}};

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
    return port;
  }
  if (!state_->http.bind_to_port(options.host, options.port)) {
    throw IoError("cannot bind {}:{} (in use, or not an address of this machine)", options.host,
                  options.port);
  }
  return options.port;
}

void ApiServer::Serve() {
  if (!state_->http.listen_after_bind()) throw IoError("the server stopped unexpectedly");
}

void ApiServer::Stop() {
  state_->http.stop();
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
