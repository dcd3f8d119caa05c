// The REST API's request handling below the HTTP parser: an input is a request line and a body,
//
//   PATCH /api/incidents/INC-0001?x=1
//   {"status": "resolved"}
//
// turned into the httplib::Request cpp-httplib would build (target, decoded path, query, body)
// and dispatched through the server's RouteTable to the real handlers, over a small world
// generated and analyzed once at start-up (tests/server/api_world.yaml). Errors are rendered as
// the server renders them (server.cpp's SendCaught), and that must not throw either: a 500 is a
// finding. GET paths outside /api go to the static-file resolver, which must never answer a file
// outside the web root.

#include <spdlog/spdlog.h>

#include <filesystem>
#include <memory>

#include "fuzz_support.hpp"
#include "generate/run.hpp"
#include "server/api_handlers.hpp"
#include "server/http.hpp"
#include "server/json_response.hpp"
#include "server/routes.hpp"
#include "server/static_files.hpp"

namespace {

namespace fs = std::filesystem;
using cxagent::fuzz::Fail;

struct World {
  cxagent::fuzz::ScratchDir scratch;
  std::string web_root = scratch.File("web");
  std::unique_ptr<cxagent::server::ApiHandlers> handlers;
  cxagent::server::RouteTable routes;

  World() {
    spdlog::set_level(spdlog::level::warn);
    const std::string data = scratch.File("world");
    // scripts/fuzz.sh prepares the analyzed world once with the fast build and names it in
    // CXAGENT_FUZZ_API_WORLD (analyzing under the sanitizers takes about a minute); it is copied
    // because PATCH writes triage states into it. Without it the target makes its own.
    if (const char* prepared = std::getenv("CXAGENT_FUZZ_API_WORLD")) {
      fs::copy(prepared, data, fs::copy_options::recursive);
    } else {
      cxagent::generate::RunGenerate(
          {.scenario_path = CXAGENT_SOURCE_DIR "/tests/server/api_world.yaml",
           .out_dir = data,
           .threads = 2,
           .progress = false});
    }
    // No simulator: what-if and experiment-plan bodies are validated before it is asked, and a
    // simulation per input would cost a model fit.
    handlers = std::make_unique<cxagent::server::ApiHandlers>(
        data, cxagent::pipeline::ReadAnalysisConfig(""), nullptr);
    handlers->Load();
    handlers->Register(routes);
    spdlog::set_level(spdlog::level::off);

    // A web root with an asset, and a link out of it that must never be followed.
    fs::create_directories(web_root + "/assets");
    fs::create_directories(scratch.File("secret"));
    const uint8_t html[] = "<!doctype html>";
    scratch.Write("web/index.html", html, sizeof html - 1);
    scratch.Write("web/assets/app-1a2b3c.js", html, sizeof html - 1);
    scratch.Write("secret/token.txt", html, sizeof html - 1);
    fs::create_directory_symlink(scratch.File("secret"), web_root + "/outside");
  }
};

World& TheWorld() {
  static World world;
  return world;
}

// What cpp-httplib 0.11.4 does with a request target (Server::parse_request_line): drop the
// fragment, decode the path, parse the query into params.
httplib::Request MakeRequest(std::string method, std::string target, std::string body) {
  httplib::Request request;
  request.method = std::move(method);
  if (const size_t hash = target.find('#'); hash != std::string::npos) target.erase(hash);
  request.target = target;
  const size_t question = target.find('?');
  request.path = httplib::detail::decode_url(target.substr(0, question), false);
  if (question != std::string::npos) {
    httplib::detail::parse_query_text(target.substr(question + 1), request.params);
  }
  request.body = std::move(body);
  return request;
}

void CheckStatic(const std::string& path) {
  const auto file = cxagent::server::ResolveStaticFile(TheWorld().web_root, path);
  if (!file) return;
  const fs::path root = fs::canonical(TheWorld().web_root);
  const fs::path resolved(file->path);
  if (std::mismatch(root.begin(), root.end(), resolved.begin(), resolved.end()).first !=
      root.end()) {
    Fail("static file outside the web root", file->path);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  TheWorld();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = cxagent::fuzz::Text(data, size);
  const size_t line_end = input.find('\n');
  const std::string_view line = input.substr(0, line_end);
  const std::string body(line_end == std::string_view::npos ? "" : input.substr(line_end + 1));
  const size_t space = line.find(' ');
  if (space == std::string_view::npos) return 0;
  const std::string method(line.substr(0, space));
  const std::string target(line.substr(space + 1));
  // A request line splits on spaces and ends at the line break; httplib refuses other methods.
  if (target.empty() || target.find_first_of(std::string_view(" \r\n\0", 4)) != std::string::npos) {
    return 0;
  }
  if (method != "GET" && method != "POST" && method != "PUT" && method != "PATCH" &&
      method != "DELETE") {
    return 0;
  }
  httplib::Request request = MakeRequest(method, target, body);
  // The server's routing (server.cpp): /api and /api/... go to the route table, other GETs to
  // the static files.
  if (request.path != "/api" && !request.path.starts_with("/api/")) {
    if (method == "GET") cxagent::fuzz::Run([&] { CheckStatic(request.path); });
    return 0;
  }
  // POST /api/analyze starts a whole re-analysis in a background thread; its only input is the
  // query string, which every route checks the same way (QueryReader).
  if (method == "POST" && request.path.starts_with("/api/analyze")) return 0;

  httplib::Response response;
  try {
    TheWorld().routes.Dispatch(request, response);
  } catch (const cxagent::server::ApiError& error) {
    cxagent::fuzz::Run([&] { cxagent::server::SendError(response, error, error.Details()); });
  } catch (const cxagent::Error& error) {
    cxagent::fuzz::Run([&] { cxagent::server::SendError(response, error); });
  } catch (const std::exception& error) {
    Fail(typeid(error).name(), error.what());
  }
  if (response.status >= 500 && response.status != 501) {
    Fail("HTTP status " + std::to_string(response.status), response.body);
  }
  return 0;
}
