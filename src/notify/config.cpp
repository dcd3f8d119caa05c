#include "notify/config.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cstdlib>
#include <set>

#include "common/error.hpp"

namespace cxagent::notify {

namespace {

bool IsTokenCharacter(char c) {
  // RFC 9110 token characters: what a header name or a channel name may hold.
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view text) {
  if (text.empty()) return false;
  for (const char c : text) {
    if (!IsTokenCharacter(c)) return false;
  }
  return true;
}

ChannelConfig ReadChannel(ConfigReader& reader) {
  ChannelConfig channel;
  channel.name = reader.Text("name", "", "the channel's name in the delivery log");
  if (channel.name.empty()) throw InvalidInput("{}: is required", reader.Where("name"));
  if (!IsToken(channel.name) || channel.name.size() > 64) {
    throw InvalidInput("{}: '{}' must be 1 to 64 letters, digits or - _ .", reader.Where("name"),
                       channel.name);
  }
  const std::string type =
      reader.Choice("type", "", {"webhook", "slack"}, "the message format of the channel");
  if (type.empty()) {
    throw InvalidInput("{}: is required; allowed: webhook, slack", reader.Where("type"));
  }
  channel.type = type == "slack" ? ChannelType::SLACK : ChannelType::WEBHOOK;
  const std::string url = reader.Text("url", "", "the address POSTed to");
  const std::string url_env =
      reader.Text("url_env", "",
                  "an environment variable holding the address (keeps a secret "
                  "webhook URL out of the file)");
  if (url.empty() == url_env.empty()) {
    throw InvalidInput("{}: give exactly one of url and url_env", reader.Where("url"));
  }
  if (!url_env.empty()) {
    if (url_env.find_first_not_of(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") !=
        std::string::npos) {
      throw InvalidInput("{}: '{}' is not an environment variable name", reader.Where("url_env"),
                         url_env);
    }
    channel.url_env = url_env;
  } else {
    channel.url = url;
    ParseHttpUrl(channel.url, reader.Where("url"));
  }
  const YAML::Node headers = reader.Section("headers");
  if (headers.IsDefined() && !headers.IsNull()) {
    if (!headers.IsMap()) {
      throw InvalidInput("{}: must be a map of header name to value", reader.Where("headers"));
    }
    for (const auto& entry : headers) {
      const std::string name = entry.first.IsScalar() ? entry.first.Scalar() : "";
      if (!IsToken(name)) {
        throw InvalidInput("{}: '{}' is not a valid header name", reader.Where("headers"), name);
      }
      if (!entry.second.IsScalar() ||
          entry.second.Scalar().find_first_of("\r\n") != std::string::npos) {
        throw InvalidInput("{}: the value of {} must be one line of text", reader.Where("headers"),
                           name);
      }
      channel.headers[name] = entry.second.Scalar();
    }
  }
  channel.timeout_seconds =
      reader.Number("timeout_seconds", 10, 0.1, 120, "connect, send and read timeout");
  reader.Finish();
  return channel;
}

}  // namespace

std::string_view ChannelTypeName(ChannelType type) {
  return type == ChannelType::SLACK ? "slack" : "webhook";
}

ParsedUrl ParseHttpUrl(std::string_view url, std::string_view where) {
  const auto fail = [&] {
    return InvalidInput("{}: '{}' is not an http:// or https:// URL with a host", where, url);
  };
  size_t scheme_end = 0;
  if (url.starts_with("http://")) {
    scheme_end = 7;
  } else if (url.starts_with("https://")) {
    scheme_end = 8;
  } else {
    throw fail();
  }
  const size_t path_start = url.find_first_of("/?#", scheme_end);
  const std::string_view authority =
      url.substr(scheme_end, path_start == std::string_view::npos ? std::string_view::npos
                                                                  : path_start - scheme_end);
  if (authority.empty() || authority.find_first_of(" @\t") != std::string_view::npos) {
    throw fail();
  }
  for (const char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) throw fail();
  }
  ParsedUrl parsed;
  parsed.origin = std::string(url.substr(0, scheme_end + authority.size()));
  parsed.path = path_start == std::string_view::npos ? "/" : std::string(url.substr(path_start));
  if (parsed.path.front() != '/') parsed.path = "/" + parsed.path;
  if (const size_t fragment = parsed.path.find('#'); fragment != std::string::npos) {
    parsed.path.erase(fragment);
  }
  return parsed;
}

void NotifyConfig::ResolveUrls() {
  for (auto& channel : channels) {
    if (channel.url_env.empty()) continue;
    const char* value = std::getenv(channel.url_env.c_str());
    const std::string where =
        fmt::format("notify channel '{}' (url_env {})", channel.name, channel.url_env);
    if (value == nullptr || *value == '\0') {
      throw InvalidInput("{}: the environment variable is not set", where);
    }
    ParseHttpUrl(value, where);
    channel.url = value;
  }
}

NotifyConfig NotifyConfig::Read(ConfigReader& reader) {
  NotifyConfig config;
  config.public_url =
      reader.Text("public_url", "", "the dashboard's address; links are PUBLIC_URL/incidents/ID");
  config.retry_initial_seconds = reader.Number("retry_initial_seconds", 30, 0.01, 86400,
                                               "wait after a failed attempt; doubles each time");
  config.retry_max_seconds =
      reader.Number("retry_max_seconds", 3600, 0.01, 7 * 86400, "longest wait between attempts");
  config.max_attempts =
      reader.Integer("max_attempts", 12, 1, 100, "attempts before a delivery is given up");
  if (config.retry_max_seconds < config.retry_initial_seconds) {
    throw InvalidInput("{}: must be at least retry_initial_seconds ({})",
                       reader.Where("retry_max_seconds"), config.retry_initial_seconds);
  }
  const YAML::Node channels = reader.Section("channels");
  if (channels.IsDefined() && !channels.IsNull()) {
    if (!channels.IsSequence()) {
      throw InvalidInput("{}: must be a list of channels ({{name, type, url}})",
                         reader.Where("channels"));
    }
    std::set<std::string> names;
    for (size_t i = 0; i < channels.size(); ++i) {
      ConfigReader channel_reader = reader.Nested(channels[i], fmt::format("channels[{}]", i));
      ChannelConfig channel = ReadChannel(channel_reader);
      if (!names.insert(channel.name).second) {
        throw InvalidInput("{}: channel name '{}' is used twice",
                           reader.Where(fmt::format("channels[{}].name", i)), channel.name);
      }
      config.channels.push_back(std::move(channel));
    }
  }
  reader.Finish();
  if (config.Enabled() && config.public_url.empty()) {
    throw InvalidInput(
        "{}: is required when channels are set (notifications link to "
        "PUBLIC_URL/incidents/ID)",
        reader.Where("public_url"));
  }
  if (!config.public_url.empty()) {
    ParseHttpUrl(config.public_url, reader.Where("public_url"));
    while (config.public_url.ends_with('/')) config.public_url.pop_back();
  }
  return config;
}

}  // namespace cxagent::notify
