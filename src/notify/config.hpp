#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.hpp"

namespace cxagent::notify {

//! How a channel wants its message: a generic JSON webhook, or a Slack incoming webhook (blocks).
enum class ChannelType { WEBHOOK, SLACK };

//! The name of a channel type as written in the config (`webhook`, `slack`).
std::string_view ChannelTypeName(ChannelType type);

//! One place notifications go (`notify.channels[]`).
struct ChannelConfig {
  std::string name;                         //!< unique among channels; names it in the log
  ChannelType type = ChannelType::WEBHOOK;  //!< the message format
  std::string url;                          //!< http:// or https:// address POSTed to
  //! An environment variable holding the URL instead (read by ResolveUrls, in `serve` only, so
  //! that `analyze` with the same file does not need the secret).
  std::string url_env;
  std::map<std::string, std::string> headers;  //!< extra request headers (e.g. Authorization)
  double timeout_seconds = 10;                 //!< connect, send and read timeout of one attempt
};

//! The `notify` section of the analysis config: where `serve` sends incident events.
struct NotifyConfig {
  //! The dashboard's address as the team reaches it; links are `{public_url}/incidents/{id}`.
  std::string public_url;
  std::vector<ChannelConfig> channels;  //!< none: notifications are off
  double retry_initial_seconds = 30;    //!< wait after the first failed attempt; doubles each time
  double retry_max_seconds = 3600;      //!< the longest wait between attempts
  int max_attempts = 12;                //!< attempts before a delivery is given up as failed

  //! True when at least one channel is configured.
  bool Enabled() const { return !channels.empty(); }
  //! Reads the section; throws InvalidInput naming the file, key and what is allowed.
  static NotifyConfig Read(ConfigReader& reader);
  //! Fills the `url` of channels given by `url_env` from the environment; throws InvalidInput
  //! naming the channel and variable when it is unset or not an http(s) URL.
  void ResolveUrls();
};

//! An http(s) URL split for a client: `scheme://host[:port]` and the path with its query.
struct ParsedUrl {
  std::string origin;  //!< e.g. https://hooks.slack.com
  std::string path;    //!< e.g. /services/T000/B000/XXX; "/" when the URL has none
};

//! Splits an `http://` or `https://` URL; throws InvalidInput naming `where` otherwise.
ParsedUrl ParseHttpUrl(std::string_view url, std::string_view where);

}  // namespace cxagent::notify
