#include "notify/transport.hpp"

#include <fmt/format.h>

#include <cmath>

#include "common/error.hpp"
#include "server/http.hpp"

namespace cxagent::notify {

namespace {

class HttpTransport : public Transport {
 public:
  PostResult Post(const ChannelConfig& channel, const std::string& body,
                  const std::string& event_id) const override {
    PostResult result;
    try {
      const ParsedUrl url = ParseHttpUrl(channel.url, channel.name);
      httplib::Client client(url.origin);
      if (!client.is_valid()) {
        result.error = fmt::format("cannot make a client for {}", url.origin);
        return result;
      }
      const double whole = std::floor(channel.timeout_seconds);
      const auto seconds = static_cast<time_t>(whole);
      const auto micros = static_cast<time_t>((channel.timeout_seconds - whole) * 1e6);
      client.set_connection_timeout(seconds, micros);
      client.set_read_timeout(seconds, micros);
      client.set_write_timeout(seconds, micros);
      client.set_follow_location(false);
      httplib::Headers headers = {{"User-Agent", "cxagent/" CXAGENT_VERSION},
                                  {"X-Cxagent-Event-Id", event_id}};
      for (const auto& [name, value] : channel.headers) headers.emplace(name, value);
      const auto response = client.Post(url.path, headers, body, "application/json");
      if (!response) {
        result.error =
            fmt::format("no answer from {}: {}", url.origin, httplib::to_string(response.error()));
        return result;
      }
      result.status = response->status;
      if (result.status < 200 || result.status >= 300) {
        result.error = fmt::format("HTTP {}: {}", result.status, OneLine(response->body, 200));
      }
    } catch (const std::exception& error) {
      result.error = error.what();
    }
    return result;
  }
};

}  // namespace

std::shared_ptr<const Transport> MakeHttpTransport() {
  return std::make_shared<HttpTransport>();
}

}  // namespace cxagent::notify
