#include "notify/outbox.hpp"

#include <gtest/gtest.h>

#include "common/file.hpp"
#include "support/test_support.hpp"

namespace cxagent::notify {
namespace {

using testing::ErrorMessage;
using testing::TempDir;

Delivery MakeDelivery(const std::string& event_id, DeliveryStatus status) {
  return {.event_id = event_id,
          .event = "incident_opened",
          .channel = "hook",
          .incident_id = "INC-0001",
          .metric = "cx_score",
          .slice_text = "region=seattle",
          .start_date = "2026-07-31",
          .payload = {{"summary", "s"}, {"link", "http://cx/incidents/INC-0001"}},
          .status = status,
          .attempts = 2,
          .created_at = "2026-08-30T06:00:00Z",
          .next_attempt_ms = 1788069600123,
          .last_attempt_at = "2026-08-30T06:00:01Z",
          .http_status = 503,
          .last_error = "HTTP 503: busy"};
}

TEST(OutboxTest, AFolderWithoutAnOutboxHasNone) {
  TempDir dir;
  EXPECT_FALSE(LoadOutbox(dir.Path().string()).has_value());
}

TEST(OutboxTest, SavesAndLoadsEverythingAtomically) {
  TempDir dir;
  Outbox outbox;
  outbox.analyzed_at = "2026-08-30T05:59:00Z";
  outbox.known = {{.metric = "cx_score",
                   .slice_text = "region=seattle",
                   .start_date = "2026-07-31",
                   .end_date = "",
                   .severity = "high"},
                  {.metric = "cx_score",
                   .slice_text = "all",
                   .start_date = "2026-06-10",
                   .end_date = "2026-06-20",
                   .severity = "low"}};
  outbox.deliveries = {MakeDelivery("e1", DeliveryStatus::PENDING),
                       MakeDelivery("e2", DeliveryStatus::DELIVERED)};
  outbox.event_ids = {"e1", "e2"};
  SaveOutbox(dir.Path().string(), outbox);
  const auto loaded = LoadOutbox(dir.Path().string());
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->analyzed_at, outbox.analyzed_at);
  ASSERT_EQ(loaded->known.size(), 2u);
  EXPECT_EQ(loaded->known[0].end_date, "");
  EXPECT_EQ(loaded->known[1].end_date, "2026-06-20");
  ASSERT_EQ(loaded->deliveries.size(), 2u);
  const Delivery& first = loaded->deliveries[0];
  EXPECT_EQ(first.status, DeliveryStatus::PENDING);
  EXPECT_EQ(first.attempts, 2);
  EXPECT_EQ(first.next_attempt_ms, 1788069600123);
  EXPECT_EQ(first.http_status, 503);
  EXPECT_EQ(first.payload["link"], "http://cx/incidents/INC-0001");
  EXPECT_EQ(loaded->deliveries[1].status, DeliveryStatus::DELIVERED);
  EXPECT_TRUE(loaded->Seen("e2"));
  EXPECT_FALSE(loaded->Seen("e3"));
  // Written through a temporary renamed into place: nothing is left beside it.
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.Path() / ".cxagent")) {
    ++files;
    EXPECT_EQ(entry.path().filename(), "notify_outbox.json");
  }
  EXPECT_EQ(files, 1u);
}

TEST(OutboxTest, ADamagedFileIsNamedWithWhatToDo) {
  TempDir dir;
  std::filesystem::create_directories(dir.Path() / ".cxagent");
  WriteFileAtomic(OutboxPath(dir.Path().string()), "{\"version\": 1, \"known\": [");
  const std::string message = ErrorMessage([&] { LoadOutbox(dir.Path().string()); });
  EXPECT_NE(message.find("notify_outbox.json: damaged notification outbox"), std::string::npos)
      << message;
  EXPECT_NE(message.find("fix or delete it"), std::string::npos) << message;
  WriteFileAtomic(OutboxPath(dir.Path().string()), "{\"version\": 7}");
  EXPECT_NE(ErrorMessage([&] { LoadOutbox(dir.Path().string()); }).find("unknown format version"),
            std::string::npos);
}

TEST(OutboxTest, TrimKeepsEveryPendingDeliveryAndTheNewestFinished) {
  Outbox outbox;
  outbox.deliveries = {
      MakeDelivery("p1", DeliveryStatus::PENDING), MakeDelivery("d1", DeliveryStatus::DELIVERED),
      MakeDelivery("f1", DeliveryStatus::FAILED), MakeDelivery("p2", DeliveryStatus::PENDING),
      MakeDelivery("m1", DeliveryStatus::MUTED)};
  outbox.event_ids = {"a", "b", "c"};
  outbox.Trim(1, 2);
  ASSERT_EQ(outbox.deliveries.size(), 3u);
  EXPECT_EQ(outbox.deliveries[0].event_id, "p1");
  EXPECT_EQ(outbox.deliveries[1].event_id, "p2");
  EXPECT_EQ(outbox.deliveries[2].event_id, "m1");
  EXPECT_EQ(outbox.event_ids, std::deque<std::string>({"b", "c"}));
}

TEST(OutboxTest, ApiJsonLeavesThePayloadOutAndShowsTimes) {
  const nlohmann::json row = MakeDelivery("e1", DeliveryStatus::PENDING).ToApiJson();
  EXPECT_FALSE(row.contains("payload"));
  EXPECT_EQ(row["next_attempt_at"], FormatUtcMillis(1788069600123));
  EXPECT_EQ(row["http_status"], 503);
  EXPECT_EQ(row["summary"], "s");
  EXPECT_TRUE(
      MakeDelivery("e2", DeliveryStatus::DELIVERED).ToApiJson()["next_attempt_at"].is_null());
}

}  // namespace
}  // namespace cxagent::notify
