#include "server/server.hpp"

#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include "server/http.hpp"

#include <filesystem>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "common/file.hpp"
#include "server/api_handlers.hpp"
#include "server/http_server.hpp"
#include "server/json_response.hpp"
#include "server/openapi_schemas.hpp"
#include "server/refresh_scheduler.hpp"
#include "server/request_params.hpp"
#include "server/routes.hpp"
#include "server/static_files.hpp"
#include "storage/dataset.hpp"

namespace cxagent::server {

namespace {

constexpr size_t MAX_BODY_BYTES = 1 << 20;

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
       .quick = true,
       .handler = [openapi](const httplib::Request& request, httplib::Response& response,
                            const PathParameters&) {
         ParseNoQuery(request.target);
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
                 options.simulator, options.dataset_file, options.results_dir) {}

  ServerOptions options;
  ApiHandlers handlers;
  // Declared after the handlers it triggers, so it stops before they go.
  std::unique_ptr<RefreshScheduler> scheduler;
  RouteTable routes;
  std::string openapi;
  std::unique_ptr<HttpServer> http;

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
    response.set_header("Access-Control-Allow-Methods", "GET, POST, PATCH, PUT, DELETE, OPTIONS");
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

  // Every request the HTTP layer has read in full: /api to the route table, OPTIONS to CORS,
  // GET (and HEAD, answered as GET without the body) to the static files, other methods 405.
  void Handle(const httplib::Request& request, httplib::Response& response) const {
    try {
      const bool api = request.path == "/api" || request.path.starts_with("/api/");
      if (request.method == "OPTIONS") {
        ApplyCors(request, response);
        response.status = 204;
      } else if (api) {
        HandleApi(request, response);
      } else if (request.method == "GET") {
        // A Range header is ignored: static files are small and answered whole (200).
        ServeStatic(request, response);
      } else {
        response.set_header("Allow", "GET");
        SendError(response,
                  Error(ErrorType::METHOD_NOT_ALLOWED, "{} is not allowed on {}; allowed: GET",
                        Printable(request.method), Printable(request.path)),
                  {{"path", Printable(request.path)}, {"allowed", {"GET"}}});
      }
    } catch (...) {
      SendCaught(request, response);
    }
  }

  // Requests answered from memory: CORS preflights, 401s, static files (small, from the page
  // cache), 405s and the API routes marked quick. The rest wait for a worker thread.
  bool Quick(const httplib::Request& request) const {
    const bool api = request.path == "/api" || request.path.starts_with("/api/");
    if (request.method == "OPTIONS" || !api) return true;
    return !Authorized(request) || routes.IsQuick(request.method, request.path);
  }

  // Requests refused by the HTTP layer before they reach a route, in the API's error shape.
  static void Reject(const httplib::Request& request, int status, const std::string& message,
                     httplib::Response& response) {
    const ErrorType type = status == 413   ? ErrorType::PAYLOAD_TOO_LARGE
                           : status >= 500 ? ErrorType::INTERNAL
                                           : ErrorType::INVALID_INPUT;
    // The path is in the details; the message keeps to one readable line.
    constexpr size_t SHOWN = 100;
    const std::string path = request.path.size() > SHOWN
                                 ? Printable(request.path.substr(0, SHOWN)) + "..."
                                 : Printable(request.path);
    const std::string what =
        request.method.empty() ? message
                               : fmt::format("{} {}: {}", Printable(request.method), path, message);
    SendError(response, Error(type, what), {{"path", Printable(request.path)}});
    response.status = status;
  }

  void RegisterRoutes() {
    handlers.Register(routes);
    RegisterDocumentRoutes(routes, &openapi, options.web_root);
    openapi = routes.OpenApi(CXAGENT_VERSION, openapi::Schemas()).dump();
  }

  void ConfigureHttp() {
    HttpLimits limits;
    limits.max_body_bytes = MAX_BODY_BYTES;
    limits.threads = std::max<size_t>(options.threads, 4);
    http = std::make_unique<HttpServer>(
        limits,
        [this](const httplib::Request& request, httplib::Response& response) {
          Handle(request, response);
        },
        &State::Reject, [this](const httplib::Request& request) { return Quick(request); });
  }
};

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost") return true;
  std::string address(host);
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
  }
  in_addr v4{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, address.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

void RequireSafeExposure(const ServerOptions& options) {
  if (options.insecure || !options.token.empty() || IsLoopbackHost(options.host)) return;
  throw InvalidInput(
      "serve: --host {} is reachable from other machines and no token is set, so anyone there "
      "could read and change the data; give --token TOKEN (or set CXAGENT_TOKEN), or --insecure "
      "to serve without one",
      Printable(options.host));
}

ApiServer::ApiServer(ServerOptions options) {
  RequireSafeExposure(options);
  const bool clickhouse = storage::IsClickHouseUrl(options.data_dir);
  if (clickhouse && options.watch) {
    throw InvalidInput(
        "serve --watch: a ClickHouse database has no files to watch; use --schedule HH:MM or "
        "POST /api/analyze to re-analyse it");
  }
  // Where the results are kept (a ClickHouse dataset needs --results).
  options.results_dir = storage::ResultsFolder({.folder = options.data_dir,
                                                .dataset_file = options.dataset_file,
                                                .results = options.results_dir});
  state_ = std::make_unique<State>(std::move(options));
  const ServerOptions& o = state_->options;
  const storage::DatasetOptions data{.folder = o.data_dir, .dataset_file = o.dataset_file};
  const auto fingerprint = [data] { return storage::DataFingerprint(data); };
  if (o.watch) state_->handlers.SetDataFingerprint(fingerprint);
  state_->handlers.Load();
  if (!o.schedule.empty() || o.watch) {
    ScheduleOptions schedule;
    if (!o.schedule.empty()) schedule.daily_minute = ParseDailyTime(o.schedule, "--schedule");
    schedule.watch = o.watch;
    schedule.debounce = std::chrono::milliseconds(o.watch_debounce_ms);
    schedule.poll =
        std::min(schedule.poll, std::max(std::chrono::milliseconds(100), schedule.debounce / 2));
    state_->scheduler = std::make_unique<RefreshScheduler>(
        schedule, fingerprint,
        [this](const std::string&) { return state_->handlers.TryStartRefresh(); },
        o.watch ? LoadAnalysedFingerprint(o.results_dir) : std::nullopt);
    state_->handlers.SetScheduleState([this] { return state_->scheduler->State(); });
  }
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
  return state_->http->Bind(state_->options.host, state_->options.port);
}

void ApiServer::Serve() {
  state_->http->Run();
}

const std::string& ApiServer::OpenApiDocument() const {
  return state_->openapi;
}

void ApiServer::Stop() {
  state_->http->Stop();
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
  // A ClickHouse URL is shown without its password.
  spdlog::info(
      "serving {} on http://{}:{}/",
      storage::IsClickHouseUrl(options.data_dir)
          ? storage::DescribeClickHouseLocation(storage::ParseClickHouseUrl(options.data_dir))
          : options.data_dir,
      options.host, port);
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
