#pragma once

#include "server/http.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace cxagent::server {

//! What one connection may cost the server before it is answered with an error or closed.
struct HttpLimits {
  size_t max_body_bytes = 1 << 20;  //!< larger bodies are 413
  size_t max_target_bytes = 8192;   //!< longer request targets (path and query) are 414
  size_t max_header_bytes = 16384;  //!< a larger request line and headers are 431
  //! Time from the start of a read (a new connection, or the end of the previous response on a
  //! keep-alive one) to the end of the request headers; the connection of a client that takes
  //! longer is closed (the stream closes the socket on a timeout, so no 408 can be sent).
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};   //!< time to receive a whole body
  std::chrono::milliseconds write_timeout{30'000};  //!< time to send a whole response
  size_t max_connections = 4096;                    //!< connections beyond this are closed at once
  //! Threads that accept, read, write and run quick handlers (one per core, at least 2).
  size_t io_threads = std::max(2u, std::thread::hardware_concurrency());
  size_t threads = 4;  //!< threads that run the handlers
};

//! Fills the response to one request (handlers take httplib's Request and Response as plain
//! structs; `status` -1 means 200). Exceptions are answered 500.
using HttpHandler = std::function<void(const httplib::Request&, httplib::Response&)>;

//! Fills the response to a request the server rejects before any handler sees it (malformed
//! framing, oversized head or body, timeouts): `status` is the HTTP status, `message` says why,
//! `request` holds what was read (method, target and path when the head was complete).
using HttpRejecter = std::function<void(const httplib::Request& request, int status,
                                        const std::string& message, httplib::Response& response)>;

//! True for a request whose handler answers at once (from memory): it runs on the I/O thread
//! that read it, saving the hand-over to a worker and back. Others run on the workers.
using HttpQuick = std::function<bool(const httplib::Request&)>;

//! An HTTP/1.1 server on Boost.Beast: connections wait for data without holding a thread (a slow
//! or idle client costs a socket and a buffer), requests of a keep-alive connection are answered
//! in order including pipelined ones, and the limits above bound each connection.
class HttpServer {
 public:
  //! A server calling `handler` for every complete request (on an I/O thread when `quick` says
  //! so, on a worker otherwise) and `rejecter` for the others.
  HttpServer(HttpLimits limits, HttpHandler handler, HttpRejecter rejecter,
             HttpQuick quick = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  //! Listens on `host:port` (port 0 picks a free one); returns the bound port. Throws Io when the
  //! address cannot be resolved or bound.
  int Bind(const std::string& host, int port);
  //! Serves (I/O on the calling thread and `io_threads - 1` more, handlers on `threads`
  //! workers) until Stop(); Bind() must have succeeded.
  void Run();
  //! Makes Run() return (also when called before Run starts); safe from any thread.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cxagent::server
