#include "storage/clickhouse_url.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace cxagent::storage {

namespace {

constexpr std::string_view SCHEME = "clickhouse://";

// The URL with the password of its user info and of a password= parameter shown as ***, so that
// messages can name the URL.
std::string Redacted(std::string_view url) {
  std::string text(url);
  const size_t start = text.starts_with(SCHEME) ? SCHEME.size() : 0;
  const size_t authority_end = text.find_first_of("/?", start);
  const size_t at =
      text.rfind('@', authority_end == std::string::npos ? text.size() : authority_end);
  if (at != std::string::npos && at >= start) {
    const size_t colon = text.find(':', start);
    if (colon != std::string::npos && colon < at) text.replace(colon + 1, at - colon - 1, "***");
  }
  const size_t query = text.find('?');
  if (query != std::string::npos) {
    for (size_t key = text.find("password=", query); key != std::string::npos;
         key = text.find("password=", key + 1)) {
      if (text[key - 1] != '?' && text[key - 1] != '&') continue;
      const size_t value = key + std::string_view("password=").size();
      const size_t end = std::min(text.find('&', value), text.size());
      text.replace(value, end - value, "***");
    }
  }
  return text;
}

// Decodes %XX escapes; `what` names the part for the message.
std::string PercentDecoded(std::string_view text, std::string_view url, std::string_view what) {
  std::string decoded;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      decoded += text[i];
      continue;
    }
    if (i + 2 >= text.size() || !std::isxdigit(static_cast<unsigned char>(text[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      throw InvalidInput("{}: the {} has a '%' not followed by two hexadecimal digits",
                         Redacted(url), what);
    }
    decoded += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
    i += 2;
  }
  return decoded;
}

bool IsName(std::string_view text, std::string_view extra) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [extra](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
           extra.find(c) != std::string_view::npos;
  });
}

// Text between `begin` and `end` of `text` (npos ends at the end).
std::string_view Between(std::string_view text, size_t begin, size_t end) {
  return text.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin);
}

// HOST[:PORT] (an IPv6 host in brackets); `what` names the part for messages ("" for the URL's
// own server), and the port is required when `need_port`.
ClickHouseAddress ParseAddress(std::string_view text, const std::string& shown,
                               std::string_view what, bool need_port) {
  const std::string in = what.empty() ? std::string() : fmt::format(" in {} '{}'", what, text);
  ClickHouseAddress address;
  std::string_view port;
  bool has_port = false;
  if (text.starts_with('[')) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) {
      throw InvalidInput("{}: an IPv6 host must end with ']'{}", shown, in);
    }
    address.host = std::string(text.substr(1, close - 1));
    const std::string_view after = text.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) {
      throw InvalidInput("{}: expected ':PORT' after the IPv6 host{}", shown, in);
    }
    has_port = !after.empty();
    if (has_port) port = after.substr(1);
  } else {
    const size_t colon = text.find(':');
    address.host = std::string(text.substr(0, colon));
    has_port = colon != std::string_view::npos;
    if (has_port) port = text.substr(colon + 1);
    if (!address.host.empty() && !IsName(address.host, ".-")) {
      throw InvalidInput("{}: the host '{}'{} is not a host name or address", shown, address.host,
                         in);
    }
  }
  if (address.host.empty()) throw InvalidInput("{}: no host{}", shown, in);
  if (need_port && !has_port) {
    throw InvalidInput("{}: no port{} (expected HOST:PORT, the server's HTTP port)", shown, in);
  }
  if (has_port) {
    const bool digits =
        !port.empty() && port.size() <= 5 && std::all_of(port.begin(), port.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c));
        });
    const int number = digits ? std::stoi(std::string(port)) : 0;
    if (number < 1 || number > 65535) {
      throw InvalidInput("{}: the port '{}'{} is not a number from 1 to 65535", shown, port, in);
    }
    address.port = number;
  }
  return address;
}

}  // namespace

bool IsClickHouseUrl(std::string_view text) {
  return text.starts_with(SCHEME);
}

ClickHouseLocation ParseClickHouseUrl(std::string_view url) {
  const std::string shown = Redacted(url);
  if (!IsClickHouseUrl(url)) {
    throw InvalidInput("{}: expected clickhouse://[USER[:PASSWORD]@]HOST[:PORT]/DATABASE", shown);
  }
  ClickHouseLocation location;
  const std::string_view rest = url.substr(SCHEME.size());
  const size_t path = rest.find('/');
  const size_t query = rest.find('?');
  if (path == std::string_view::npos || (query != std::string_view::npos && query < path)) {
    throw InvalidInput("{}: no database (expected clickhouse://HOST[:PORT]/DATABASE)", shown);
  }
  std::string_view authority = rest.substr(0, path);
  bool user_in_authority = false;
  bool password_in_authority = false;
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view user_info = authority.substr(0, at);
    const size_t colon = user_info.find(':');
    location.user = PercentDecoded(user_info.substr(0, colon), url, "user");
    if (location.user.empty()) throw InvalidInput("{}: the user before '@' is empty", shown);
    user_in_authority = true;
    if (colon != std::string_view::npos) {
      location.password = PercentDecoded(user_info.substr(colon + 1), url, "password");
      password_in_authority = true;
    }
    authority.remove_prefix(at + 1);
  }

  const ClickHouseAddress address = ParseAddress(authority, shown, "", false);
  location.host = address.host;
  location.port = address.port;

  const std::string_view database = Between(rest, path + 1, query);
  if (database.empty()) {
    throw InvalidInput("{}: no database (expected clickhouse://HOST[:PORT]/DATABASE)", shown);
  }
  if (!IsName(database, "")) {
    throw InvalidInput("{}: the database '{}' must be letters, digits and _ only", shown, database);
  }
  location.database = std::string(database);

  if (query != std::string_view::npos) {
    std::set<std::string, std::less<>> seen;
    std::string_view parameters = rest.substr(query + 1);
    while (!parameters.empty()) {
      const size_t amp = parameters.find('&');
      const std::string_view pair = parameters.substr(0, amp);
      parameters = amp == std::string_view::npos ? std::string_view() : parameters.substr(amp + 1);
      const size_t equals = pair.find('=');
      const std::string_view key = pair.substr(0, equals);
      if (key != "user" && key != "password" && key != "cluster" && key != "shards") {
        throw InvalidInput("{}: unknown parameter '{}' (allowed: user, password, cluster, shards)",
                           shown, key);
      }
      if (equals == std::string_view::npos) {
        throw InvalidInput("{}: the parameter '{}' has no '=VALUE'", shown, key);
      }
      if (!seen.emplace(key).second || (key == "user" && user_in_authority) ||
          (key == "password" && password_in_authority)) {
        throw InvalidInput("{}: {} is given twice", shown, key);
      }
      std::string value = PercentDecoded(pair.substr(equals + 1), url, std::string(key));
      if (key == "user") {
        if (value.empty()) throw InvalidInput("{}: the user is empty", shown);
        location.user = std::move(value);
      } else if (key == "password") {
        location.password = std::move(value);
      } else if (key == "shards") {
        std::string_view list = value;
        while (true) {
          const size_t comma = list.find(',');
          location.shards.push_back(
              ParseAddress(list.substr(0, comma), shown, "shards", /*need_port=*/true));
          if (comma == std::string_view::npos) break;
          list.remove_prefix(comma + 1);
        }
      } else {
        if (!IsName(value, ".-")) {
          throw InvalidInput("{}: the cluster '{}' must be letters, digits, _, . and - only", shown,
                             value);
        }
        location.cluster = std::move(value);
      }
    }
  }
  return location;
}

std::string DescribeClickHouseLocation(const ClickHouseLocation& location) {
  const bool ipv6 = location.host.find(':') != std::string::npos;
  std::string text = fmt::format("clickhouse://{}{}{}@{}{}{}:{}/{}", location.user,
                                 location.password.empty() ? "" : ":",
                                 location.password.empty() ? "" : "***", ipv6 ? "[" : "",
                                 location.host, ipv6 ? "]" : "", location.port, location.database);
  if (!location.cluster.empty()) text += "?cluster=" + location.cluster;
  return text;
}

std::string ClickHouseErrorMessage(std::string_view body) {
  std::string_view text = body;
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  size_t digits = 0;
  if (text.starts_with("Code: ")) {
    while (6 + digits < text.size() && std::isdigit(static_cast<unsigned char>(text[6 + digits]))) {
      ++digits;
    }
  }
  if (digits == 0) return OneLine(text, 500);
  const std::string_view code = text.substr(6, digits);
  text.remove_prefix(6 + digits);
  for (const std::string_view prefix : {", e.displayText() = ", ". ", ", "}) {
    if (text.starts_with(prefix)) {
      text.remove_prefix(prefix.size());
      break;
    }
  }
  if (text.starts_with("DB::Exception: "))
    text.remove_prefix(std::string_view("DB::Exception: ").size());
  // 18.16 ends with the exception's class; 21.x and later with the server's version.
  constexpr std::string_view CLASS_TAIL = ", e.what() = DB::Exception";
  if (text.ends_with(CLASS_TAIL)) text.remove_suffix(CLASS_TAIL.size());
  if (const size_t version = text.rfind(" (version ");
      version != std::string_view::npos && text.ends_with(')')) {
    text = text.substr(0, version);
  }
  while (!text.empty() &&
         (std::isspace(static_cast<unsigned char>(text.back())) || text.back() == ',')) {
    text.remove_suffix(1);
  }
  return OneLine(fmt::format("ClickHouse error {}: {}", code, text), 500);
}

}  // namespace cxagent::storage
