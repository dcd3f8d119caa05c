#include "server/http_server.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <thread>
#include <vector>

#include "common/error.hpp"

namespace cxagent::server {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// How long a closing connection keeps reading what the client still sends (the rest of a
// rejected body, pipelined requests after a `Connection: close`), so that closing with unread
// data does not reset the connection before the client has read the response.
constexpr std::chrono::seconds LINGER_TIMEOUT{2};

// What every connection shares with the server.
struct Core {
  HttpLimits limits;
  HttpHandler handler;
  HttpRejecter rejecter;
  HttpQuick quick;
  std::atomic<size_t> connections{0};
  net::thread_pool* workers = nullptr;  // runs the handlers
};

bool IsHttpError(const beast::error_code& error) {
  return error.category() == beast::http::make_error_code(http::error::end_of_stream).category();
}

// Compresses a text body with Brotli or gzip when the client accepts it, with httplib's choice
// of encoding and content types and its compressors (as its own server did).
void Compress(const httplib::Request& request, httplib::Response& response) {
  if (response.body.empty() || response.has_header("Content-Encoding")) return;
  std::unique_ptr<httplib::detail::compressor> compressor;
  std::string name;
  switch (httplib::detail::encoding_type(request, response)) {
    case httplib::detail::EncodingType::Brotli:
      compressor = std::make_unique<httplib::detail::brotli_compressor>();
      name = "br";
      break;
    case httplib::detail::EncodingType::Gzip:
      compressor = std::make_unique<httplib::detail::gzip_compressor>();
      name = "gzip";
      break;
    case httplib::detail::EncodingType::None:
      return;
  }
  std::string compressed;
  const bool done = compressor->compress(response.body.data(), response.body.size(), true,
                                         [&compressed](const char* data, size_t size) {
                                           compressed.append(data, size);
                                           return true;
                                         });
  if (!done) return;
  response.body = std::move(compressed);
  response.set_header("Content-Encoding", name);
  response.set_header("Vary", "Accept-Encoding");
}

double MillisecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// One connection: reads a request head, then its body, answers it, and reads the next, one at a
// time, so requests pipelined on the connection are answered in order. Bytes read past a
// request stay in `buffer_` for the next one.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Core& core) : stream_(std::move(socket)), core_(core) {
    ++core_.connections;
  }
  ~Session() { --core_.connections; }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void Start() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::ReadHead, shared_from_this()));
  }

 private:
  void ReadHead() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(core_.limits.max_header_bytes));
    parser_->body_limit(core_.limits.max_body_bytes);
    stream_.expires_after(core_.limits.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::OnHead, shared_from_this()));
  }

  void OnHead(beast::error_code error, size_t) {
    if (error) return OnReadError(error);
    const auto& head = parser_->get();
    if (head.target().size() > core_.limits.max_target_bytes) {
      return Reject(414, fmt::format("the request target is longer than {} bytes",
                                     core_.limits.max_target_bytes));
    }
    if (!parser_->is_done() && beast::iequals(head[http::field::expect], "100-continue")) {
      // Clients that ask (curl for bodies over 1 KiB) wait for this before sending the body.
      auto proceed = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                        head.version());
      stream_.expires_after(core_.limits.write_timeout);
      http::async_write(stream_, *proceed,
                        [self = shared_from_this(), proceed](beast::error_code failed, size_t) {
                          if (failed) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    stream_.expires_after(core_.limits.body_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRequest, shared_from_this()));
  }

  void OnReadError(const beast::error_code& error) {
    if (error == http::error::body_limit) {
      return Reject(413, fmt::format("the request body is larger than {} bytes (1 MiB)",
                                     core_.limits.max_body_bytes));
    }
    if (error == http::error::header_limit) {
      // Nothing is consumed before the whole head is in: a first line past the target limit is
      // a target too long, like one the head's limit let through.
      const auto* data = static_cast<const char*>(buffer_.data().data());
      const std::string_view head(data, buffer_.size());
      const size_t line_end = head.find("\r\n");
      if (line_end == std::string_view::npos || line_end > core_.limits.max_target_bytes) {
        return Reject(414, fmt::format("the request target is longer than {} bytes",
                                       core_.limits.max_target_bytes));
      }
      return Reject(431, fmt::format("the request line and headers are larger than {} bytes",
                                     core_.limits.max_header_bytes));
    }
    // A client that closed, went quiet past a timeout (the stream has closed the socket) or
    // stopped mid-request gets no answer; anything else the parser refused is malformed.
    if (!IsHttpError(error) || error == http::error::end_of_stream ||
        error == http::error::partial_message) {
      return Close();
    }
    Reject(400, fmt::format("malformed HTTP request: {}", error.message()));
  }

  // The method and path of the request read so far, for a rejection: from the parsed request
  // line, or (when the head was over its limit, which leaves it unconsumed in the buffer) from a
  // buffered line that starts with a method name.
  httplib::Request PartialRequest() const {
    httplib::Request request;
    // A body over the limit stops the parser after the request line, with the head consumed.
    if (parser_ && (parser_->is_header_done() || !parser_->get().target().empty())) {
      const auto& head = parser_->get();
      request.method = std::string(head.method_string());
      request.target = std::string(head.target());
    } else {
      const std::string_view text(static_cast<const char*>(buffer_.data().data()), buffer_.size());
      const size_t space = text.find(' ');
      const std::string_view method = text.substr(0, space);
      const bool letters = !method.empty() && std::all_of(method.begin(), method.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
      });
      if (space == std::string_view::npos || !letters) return request;
      const std::string_view rest = text.substr(space + 1);
      request.method = std::string(method);
      request.target = std::string(rest.substr(0, rest.find_first_of(" \r\n")));
    }
    request.path =
        httplib::detail::decode_url(request.target.substr(0, request.target.find('?')), false);
    return request;
  }

  void Reject(int status, const std::string& message) {
    const auto started = std::chrono::steady_clock::now();
    const httplib::Request request = PartialRequest();
    httplib::Response response;
    try {
      core_.rejecter(request, status, message, response);
    } catch (const std::exception& failure) {
      spdlog::error("rejecting a request: {}", failure.what());
      response = httplib::Response();
    }
    response.status = status;
    spdlog::info("{} {} {} {:.2f} ms ({})", request.method, request.path, status,
                 MillisecondsSince(started), message);
    Send(std::move(response), 11, false, false);
  }

  void OnRequest(beast::error_code error, size_t) {
    if (error) return OnReadError(error);
    const auto started = std::chrono::steady_clock::now();
    http::request<http::string_body> message = parser_->release();
    httplib::Request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    request.version = message.version() == 10 ? "HTTP/1.0" : "HTTP/1.1";
    request.path =
        httplib::detail::decode_url(request.target.substr(0, request.target.find('?')), false);
    for (const auto& field : message) {
      request.headers.emplace(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(message.body());
    const std::string method = request.method;
    const bool head_only = message.method() == http::verb::head;
    if (head_only) request.method = "GET";

    const unsigned version = message.version();
    const bool keep_alive = message.keep_alive();
    if (core_.quick && core_.quick(request)) {
      httplib::Response response = Respond(request, method, started);
      return Send(std::move(response), version, head_only, keep_alive);
    }
    // Other handlers may take seconds (a what-if, a first incident detail): they run on the
    // worker pool so that reading and writing, on the few I/O threads, never wait for them.
    net::post(*core_.workers, [self = shared_from_this(), request = std::move(request), method,
                               started, head_only, version, keep_alive] {
      httplib::Response response = self->Respond(request, method, started);
      net::post(self->stream_.get_executor(),
                [self, response = std::move(response), version, head_only, keep_alive]() mutable {
                  self->Send(std::move(response), version, head_only, keep_alive);
                });
    });
  }

  httplib::Response Respond(const httplib::Request& request, const std::string& method,
                            std::chrono::steady_clock::time_point started) const {
    httplib::Response response;
    try {
      core_.handler(request, response);
    } catch (const std::exception& failure) {
      spdlog::error("{} {}: {}", request.method, request.path, failure.what());
      response = httplib::Response();
      core_.rejecter(request, 500, fmt::format("internal error: {}", failure.what()), response);
      response.status = 500;
    }
    if (response.status == -1) response.status = 200;
    Compress(request, response);
    spdlog::info("{} {} {} {:.2f} ms", method, request.path, response.status,
                 MillisecondsSince(started));
    return response;
  }

  void Send(httplib::Response&& response, unsigned version, bool head_only, bool keep_alive) {
    response_ = {};
    response_.version(version);
    response_.result(static_cast<unsigned>(response.status));
    for (const auto& [name, value] : response.headers) response_.insert(name, value);
    response_.keep_alive(keep_alive);
    if (head_only) {
      response_.content_length(response.body.size());
    } else {
      response_.body() = std::move(response.body);
      response_.prepare_payload();
    }
    stream_.expires_after(core_.limits.write_timeout);
    http::async_write(stream_, response_,
                      [self = shared_from_this(), keep_alive](beast::error_code error, size_t) {
                        if (error) return self->Close();
                        if (!keep_alive) return self->Linger();
                        self->ReadHead();
                      });
  }

  // Sends FIN, then reads and drops what the client still sends until it closes or the linger
  // time is up; the socket closes when the last handler lets go of the session.
  void Linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(LINGER_TIMEOUT);
    Drain();
  }

  void Drain() {
    drain_.resize(16384);
    stream_.async_read_some(net::buffer(drain_),
                            [self = shared_from_this()](beast::error_code error, size_t) {
                              if (!error) self->Drain();
                            });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  std::vector<char> drain_;
  Core& core_;
};

}  // namespace

struct HttpServer::Impl {
  Impl(HttpLimits limits, HttpHandler handler, HttpRejecter rejecter, HttpQuick quick)
      : core{std::move(limits), std::move(handler), std::move(rejecter), std::move(quick)} {
    core.workers = &workers;
  }

  // Declared before the io_context: pending handlers destroyed with it still reach the core.
  Core core;
  net::io_context io{static_cast<int>(std::max<size_t>(core.limits.io_threads, 1))};
  tcp::acceptor acceptor{io};
  net::steady_timer accept_retry{io};
  // Declared after the io_context: destroyed (joined) first, while the sessions its queued
  // handlers hold can still close their sockets.
  net::thread_pool workers{std::max<size_t>(core.limits.threads, 1)};

  void Accept() {
    acceptor.async_accept(net::make_strand(io),
                          [this](beast::error_code error, tcp::socket socket) {
                            if (error == net::error::operation_aborted || !acceptor.is_open())
                              return;
                            if (error) {
                              // Out of descriptors, most likely: retry shortly instead of spinning.
                              spdlog::warn("accepting a connection failed: {}", error.message());
                              accept_retry.expires_after(std::chrono::milliseconds(100));
                              accept_retry.async_wait([this](beast::error_code waited) {
                                if (!waited) Accept();
                              });
                              return;
                            }
                            beast::error_code ignored;
                            if (core.connections >= core.limits.max_connections) {
                              socket.close(ignored);
                            } else {
                              // Headers and body go out in one write per response, but small
                              // responses must not wait for the client's delayed ACK either.
                              socket.set_option(tcp::no_delay(true), ignored);
                              std::make_shared<Session>(std::move(socket), core)->Start();
                            }
                            Accept();
                          });
  }
};

HttpServer::HttpServer(HttpLimits limits, HttpHandler handler, HttpRejecter rejecter,
                       HttpQuick quick)
    : impl_(std::make_unique<Impl>(std::move(limits), std::move(handler), std::move(rejecter),
                                   std::move(quick))) {}

HttpServer::~HttpServer() = default;

int HttpServer::Bind(const std::string& host, int port) {
  beast::error_code error;
  tcp::resolver resolver(impl_->io);
  const auto endpoints = resolver.resolve(host, std::to_string(port), error);
  const auto fail = [&](const beast::error_code& cause) {
    return IoError("cannot bind {}:{} ({}: in use, or not an address of this machine)", host, port,
                   cause.message());
  };
  if (error || endpoints.empty()) throw fail(error);
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), error);
  if (error) throw fail(error);
  // SO_REUSEADDR allows quick restarts; SO_REUSEPORT (which would let a second server share the
  // port silently) stays off.
  acceptor.set_option(net::socket_base::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(net::socket_base::max_listen_connections, error);
  if (error) {
    beast::error_code ignored;
    acceptor.close(ignored);
    throw fail(error);
  }
  return acceptor.local_endpoint().port();
}

void HttpServer::Run() {
  impl_->Accept();
  std::vector<std::thread> threads;
  for (size_t i = 1; i < impl_->core.limits.io_threads; ++i) {
    threads.emplace_back([this] { impl_->io.run(); });
  }
  impl_->io.run();
  for (auto& thread : threads) thread.join();
  // Handlers still running finish; their responses are not sent.
  impl_->workers.stop();
  impl_->workers.join();
}

void HttpServer::Stop() {
  impl_->io.stop();
}

}  // namespace cxagent::server
