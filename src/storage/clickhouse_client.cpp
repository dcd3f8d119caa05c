#include "storage/clickhouse_client.hpp"

#include <fmt/format.h>

#include <atomic>
#include <cctype>
#include <cmath>
#include <string>
#include <utility>

#include "common/error.hpp"
#include "server/http.hpp"
#include "storage/clickhouse_result.hpp"

namespace cxagent::storage {

namespace {

std::string UrlEncoded(std::string_view text) {
  std::string encoded;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '_' || c == '.' || c == '~') {
      encoded += c;
    } else {
      encoded += fmt::format("%{:02X}", byte);
    }
  }
  return encoded;
}

// The error type of a refusal by the server, from its HTTP status (docs/clickhouse.md: 401 for
// a wrong login, 404 for an unknown database, table, column or function).
ErrorType RefusalType(int status) {
  if (status == 401 || status == 403) return ErrorType::UNAUTHORIZED;
  if (status == 404) return ErrorType::NOT_FOUND;
  return ErrorType::INVALID_INPUT;
}

std::atomic<int64_t> requests_posted{0};
std::atomic<int64_t> bytes_posted{0};
std::atomic<int64_t> bytes_answered{0};

}  // namespace

ClickHouseTraffic ClickHouseTrafficSoFar() {
  return {.requests = requests_posted.load(),
          .bytes_sent = bytes_posted.load(),
          .bytes_received = bytes_answered.load()};
}

ClickHouseClient::ClickHouseClient(ClickHouseLocation location, double timeout_seconds)
    : location_(std::move(location)), timeout_seconds_(timeout_seconds) {}

std::string ClickHouseClient::Post(const std::string& query_in_url, const std::string& body,
                                   const std::string& settings) const {
  const std::string server = DescribeClickHouseLocation(location_);
  httplib::Client client(location_.host, location_.port);
  if (!client.is_valid()) throw NotFound("{}: cannot make an HTTP client for it", server);
  const double whole = std::floor(timeout_seconds_);
  const auto seconds = static_cast<time_t>(whole);
  const auto micros = static_cast<time_t>((timeout_seconds_ - whole) * 1e6);
  client.set_connection_timeout(seconds, micros);
  client.set_read_timeout(seconds, micros);
  client.set_write_timeout(seconds, micros);
  const httplib::Headers headers = {{"X-ClickHouse-User", location_.user},
                                    {"X-ClickHouse-Key", location_.password}};
  std::string path = "/?wait_end_of_query=1&database=" + UrlEncoded(location_.database);
  if (!settings.empty()) path += "&" + settings;
  if (!query_in_url.empty()) path += "&query=" + UrlEncoded(query_in_url);
  const auto response = client.Post(path, headers, body, "text/plain; charset=UTF-8");
  requests_posted += 1;
  bytes_posted += static_cast<int64_t>(body.size());
  if (response) bytes_answered += static_cast<int64_t>(response->body.size());
  if (!response) {
    throw NotFound("{}: no ClickHouse server answers ({})", server,
                   httplib::to_string(response.error()));
  }
  if (response->status != 200) {
    throw Error(RefusalType(response->status),
                fmt::format("{}: {}", server, ClickHouseErrorMessage(response->body)));
  }
  return response->body;
}

Table ClickHouseClient::Query(const std::string& sql) const {
  return ParseClickHouseTsv(Post({}, sql, "default_format=TSVWithNamesAndTypes"));
}

void ClickHouseClient::Execute(const std::string& sql) const {
  Post({}, sql, {});
}

void ClickHouseClient::Insert(const std::string& insert, const std::string& rows,
                              const std::string& settings) const {
  Post(insert, rows, settings);
}

}  // namespace cxagent::storage
