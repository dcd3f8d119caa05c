#include "notify/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "support/test_support.hpp"

namespace cxagent::notify {
namespace {

using testing::ErrorMessage;

NotifyConfig Read(const std::string& yaml) {
  ConfigReader reader(YAML::Load(yaml), "cx.yaml", "notify");
  return NotifyConfig::Read(reader);
}

TEST(NotifyConfigTest, AbsentSectionIsOff) {
  ConfigReader reader(YAML::Node(), "cx.yaml", "notify");
  const NotifyConfig config = NotifyConfig::Read(reader);
  EXPECT_FALSE(config.Enabled());
  EXPECT_EQ(config.max_attempts, 12);
}

TEST(NotifyConfigTest, ReadsChannelsAndStripsTheLinkBase) {
  const NotifyConfig config = Read(R"(
public_url: https://cx.example.com/
retry_initial_seconds: 5
channels:
  - {name: ops-hook, type: webhook, url: "http://127.0.0.1:9000/hook?x=1",
     headers: {Authorization: Bearer abc}, timeout_seconds: 3}
  - {name: ops-slack, type: slack, url_env: CX_SLACK_URL}
)");
  ASSERT_EQ(config.channels.size(), 2u);
  EXPECT_EQ(config.public_url, "https://cx.example.com");
  EXPECT_EQ(config.retry_initial_seconds, 5);
  EXPECT_EQ(config.channels[0].type, ChannelType::WEBHOOK);
  EXPECT_EQ(config.channels[0].headers.at("Authorization"), "Bearer abc");
  EXPECT_EQ(config.channels[0].timeout_seconds, 3);
  EXPECT_EQ(config.channels[1].type, ChannelType::SLACK);
  EXPECT_EQ(config.channels[1].url_env, "CX_SLACK_URL");
  EXPECT_TRUE(config.channels[1].url.empty());
}

TEST(NotifyConfigTest, ResolvesUrlEnvAndNamesAnUnsetVariable) {
  NotifyConfig config =
      Read("public_url: http://cx\nchannels: [{name: s, type: slack, url_env: CX_TEST_SLACK_URL}]");
  unsetenv("CX_TEST_SLACK_URL");
  EXPECT_EQ(ErrorMessage([&] { config.ResolveUrls(); }),
            "notify channel 's' (url_env CX_TEST_SLACK_URL): the environment variable is not set");
  setenv("CX_TEST_SLACK_URL", "https://hooks.slack.test/services/T/B/X", 1);
  config.ResolveUrls();
  unsetenv("CX_TEST_SLACK_URL");
  EXPECT_EQ(config.channels[0].url, "https://hooks.slack.test/services/T/B/X");
}

TEST(NotifyConfigTest, RejectsBadChannelsNamingTheKey) {
  EXPECT_EQ(ErrorMessage([] { Read("channels: [{name: a, type: webhook, url: http://h/x}]"); }),
            "cx.yaml: notify.public_url: is required when channels are set (notifications link "
            "to PUBLIC_URL/incidents/ID)");
  EXPECT_EQ(ErrorMessage([] {
              Read("public_url: http://cx\nchannels: [{name: a, type: email, url: http://h}]");
            }),
            "cx.yaml: notify.channels[0].type: 'email' is not allowed (the message format of the "
            "channel); allowed: webhook, slack");
  EXPECT_EQ(
      ErrorMessage([] { Read("public_url: http://cx\nchannels: [{name: a, url: http://h}]"); }),
      "cx.yaml: notify.channels[0].type: is required; allowed: webhook, slack");
  EXPECT_EQ(ErrorMessage([] {
              Read("public_url: http://cx\nchannels: [{name: a, type: webhook, url: ftp://h}]");
            }),
            "cx.yaml: notify.channels[0].url: 'ftp://h' is not an http:// or https:// URL with a "
            "host");
  EXPECT_EQ(
      ErrorMessage([] { Read("public_url: http://cx\nchannels: [{name: a, type: webhook}]"); }),
      "cx.yaml: notify.channels[0].url: give exactly one of url and url_env");
  EXPECT_EQ(ErrorMessage([] {
              Read(
                  "public_url: http://cx\nchannels: [{name: a, type: webhook, url: http://h, "
                  "secret: x}]");
            }),
            "cx.yaml: notify.channels[0].secret: unknown key; known keys: headers, name, "
            "timeout_seconds, type, url, url_env");
  EXPECT_EQ(ErrorMessage([] {
              Read(
                  "public_url: http://cx\nchannels:\n  - {name: a, type: webhook, url: http://h}\n"
                  "  - {name: a, type: slack, url: http://h}");
            }),
            "cx.yaml: notify.channels[1].name: channel name 'a' is used twice");
  EXPECT_EQ(ErrorMessage([] { Read("public_url: http://cx\nchannels: {name: a}"); }),
            "cx.yaml: notify.channels: must be a list of channels ({name, type, url})");
  EXPECT_EQ(ErrorMessage([] { Read("public_url: cx.example.com"); }),
            "cx.yaml: notify.public_url: 'cx.example.com' is not an http:// or https:// URL with "
            "a host");
  EXPECT_EQ(ErrorMessage([] { Read("retry_initial_seconds: 10\nretry_max_seconds: 5"); }),
            "cx.yaml: notify.retry_max_seconds: must be at least retry_initial_seconds (10)");
}

TEST(NotifyConfigTest, SplitsUrlsForTheClient) {
  const ParsedUrl url = ParseHttpUrl("https://hooks.example.com:8443/a/b?c=d#frag", "x");
  EXPECT_EQ(url.origin, "https://hooks.example.com:8443");
  EXPECT_EQ(url.path, "/a/b?c=d");
  EXPECT_EQ(ParseHttpUrl("http://h", "x").path, "/");
  EXPECT_EQ(ErrorMessage([] { ParseHttpUrl("http:///path", "where"); }),
            "where: 'http:///path' is not an http:// or https:// URL with a host");
  EXPECT_EQ(ErrorMessage([] { ParseHttpUrl("http://h/a b", "where"); }),
            "where: 'http://h/a b' is not an http:// or https:// URL with a host");
}

}  // namespace
}  // namespace cxagent::notify
