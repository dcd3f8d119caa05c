// The generated tables match domain.md §2 exactly (columns, types, values), hang together
// (every child row has its order) and look like a real marketplace (documented realism ranges).

#include <gtest/gtest.h>

#include <set>
#include <unordered_set>

#include "generate/catalog.hpp"
#include "generate/generator.hpp"
#include "generate/world_metrics.hpp"

namespace cxagent::generate::testing {
namespace {

using storage::ColumnType;

class GenerateWorld : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scenario_ = new Scenario(
        ParseScenario(SmallScenario("", 3000, 28, "decoy_changes: 3\n"), "world.yaml"));
    world_ = new WorldTables(GenerateWorldTables(*scenario_));
  }
  static void TearDownTestSuite() {
    delete world_;
    delete scenario_;
  }
  static Scenario* scenario_;
  static WorldTables* world_;
};
Scenario* GenerateWorld::scenario_ = nullptr;
WorldTables* GenerateWorld::world_ = nullptr;

struct Expected {
  const char* name;
  ColumnType type;
};

void ExpectSchema(const storage::Table& table, const std::vector<Expected>& expected) {
  ASSERT_EQ(table.columns.size(), expected.size());
  for (size_t c = 0; c < expected.size(); ++c) {
    EXPECT_EQ(table.columns[c].name, expected[c].name);
    EXPECT_EQ(static_cast<int>(table.columns[c].type), static_cast<int>(expected[c].type))
        << expected[c].name;
  }
}

void ExpectValues(const storage::Table& table, const char* column,
                  const std::set<std::string>& allowed) {
  const auto& c = table.Get(column);
  std::set<std::string> seen;
  for (size_t i = 0; i < c.Size(); ++i) {
    if (!c.IsNull(i)) seen.insert(std::string(c.StringAt(i)));
  }
  for (const auto& value : seen) EXPECT_TRUE(allowed.count(value)) << column << " has " << value;
}

TEST_F(GenerateWorld, TablesHaveTheContractColumnsAndTypes) {
  using T = ColumnType;
  ExpectSchema(world_->orders, {{"order_id", T::BIGINT},
                                {"created_at", T::TIMESTAMP},
                                {"order_date", T::DATE},
                                {"region", T::VARCHAR},
                                {"store_id", T::INTEGER},
                                {"store_type", T::VARCHAR},
                                {"merchant", T::VARCHAR},
                                {"customer_id", T::BIGINT},
                                {"customer_segment", T::VARCHAR},
                                {"platform", T::VARCHAR},
                                {"daypart", T::VARCHAR},
                                {"fulfillment_mode", T::VARCHAR},
                                {"n_items", T::INTEGER},
                                {"subtotal", T::DOUBLE},
                                {"distance_km", T::DOUBLE},
                                {"quoted_eta_min", T::DOUBLE},
                                {"status", T::VARCHAR},
                                {"cancel_reason", T::VARCHAR}});
  ExpectSchema(world_->deliveries, {{"order_id", T::BIGINT},
                                    {"dasher_id", T::BIGINT},
                                    {"vehicle", T::VARCHAR},
                                    {"is_batched", T::BOOLEAN},
                                    {"batch_size", T::INTEGER},
                                    {"assign_delay_min", T::DOUBLE},
                                    {"prep_wait_min", T::DOUBLE},
                                    {"shop_min", T::DOUBLE},
                                    {"travel_min", T::DOUBLE},
                                    {"actual_eta_min", T::DOUBLE},
                                    {"late_min", T::DOUBLE},
                                    {"delivered_at", T::TIMESTAMP},
                                    {"weather", T::VARCHAR}});
  ExpectSchema(world_->items, {{"order_id", T::BIGINT},
                               {"line_no", T::INTEGER},
                               {"sku", T::BIGINT},
                               {"category", T::VARCHAR},
                               {"quantity", T::INTEGER},
                               {"unit_price", T::DOUBLE},
                               {"status", T::VARCHAR},
                               {"substitution_accepted", T::BOOLEAN},
                               {"refund_amount", T::DOUBLE}});
  ExpectSchema(world_->inventory, {{"date", T::DATE},
                                   {"store_id", T::INTEGER},
                                   {"category", T::VARCHAR},
                                   {"listed_in_stock_rate", T::DOUBLE},
                                   {"actual_in_stock_rate", T::DOUBLE},
                                   {"feed_lag_hours", T::DOUBLE}});
  ExpectSchema(world_->support, {{"ticket_id", T::BIGINT},
                                 {"order_id", T::BIGINT},
                                 {"created_at", T::TIMESTAMP},
                                 {"reason", T::VARCHAR},
                                 {"refund_amount", T::DOUBLE}});
  ExpectSchema(world_->ratings,
               {{"order_id", T::BIGINT}, {"rated_at", T::TIMESTAMP}, {"rating", T::INTEGER}});
  ExpectSchema(world_->supply_hourly, {{"region", T::VARCHAR},
                                       {"hour", T::TIMESTAMP},
                                       {"active_dashers", T::INTEGER},
                                       {"orders_created", T::INTEGER},
                                       {"busy_ratio", T::DOUBLE},
                                       {"weather", T::VARCHAR}});
  ExpectSchema(world_->change_log, {{"change_id", T::VARCHAR},
                                    {"changed_at", T::TIMESTAMP},
                                    {"kind", T::VARCHAR},
                                    {"scope", T::VARCHAR},
                                    {"description", T::VARCHAR}});
}

TEST_F(GenerateWorld, EnumColumnsTakeOnlyContractValues) {
  std::set<std::string> regions(scenario_->regions.begin(), scenario_->regions.end());
  ExpectValues(world_->orders, "region", regions);
  ExpectValues(world_->orders, "store_type",
               {"restaurant", "grocery", "convenience", "pharmacy", "alcohol"});
  ExpectValues(world_->orders, "customer_segment", {"new", "returning", "member"});
  ExpectValues(world_->orders, "platform", {"ios", "android", "web"});
  ExpectValues(world_->orders, "daypart",
               {"breakfast", "lunch", "afternoon", "dinner", "late_night"});
  ExpectValues(world_->orders, "fulfillment_mode", {"merchant_pick", "dasher_shop"});
  ExpectValues(world_->orders, "status", {"delivered", "cancelled"});
  ExpectValues(world_->orders, "cancel_reason",
               {"customer", "no_dasher", "store_closed", "app_error"});
  ExpectValues(world_->deliveries, "vehicle", {"car", "bike", "scooter"});
  ExpectValues(world_->deliveries, "weather", {"clear", "rain", "snow"});
  ExpectValues(world_->supply_hourly, "weather", {"clear", "rain", "snow"});
  std::set<std::string> categories{"produce", "dairy",     "meat",    "frozen",
                                   "pantry",  "household", "prepared"};
  ExpectValues(world_->items, "category", categories);
  ExpectValues(world_->inventory, "category", categories);
  ExpectValues(world_->items, "status", {"found", "substituted", "missing"});
  ExpectValues(world_->support, "reason",
               {"late", "missing_item", "wrong_item", "bad_substitution", "damaged",
                "never_arrived", "app_issue", "other"});
  ExpectValues(world_->change_log, "kind",
               {"dispatch_policy", "eta_model", "substitution_model", "app_release",
                "delivery_radius", "pricing", "merchant_onboarding", "other"});
  std::set<std::string> merchants(catalog::Merchants().begin(), catalog::Merchants().end());
  ExpectValues(world_->orders, "merchant", merchants);
  for (size_t i = 0; i < world_->orders.RowCount(); ++i) {
    const bool cancelled = world_->orders.Get("status").StringAt(i) == "cancelled";
    ASSERT_EQ(world_->orders.Get("cancel_reason").IsNull(i), !cancelled) << "row " << i;
  }
  const auto& ratings = world_->ratings.Get("rating").ints;
  for (int64_t r : ratings) ASSERT_TRUE(r >= 1 && r <= 5);
  const auto& items = world_->items;
  for (size_t i = 0; i < items.RowCount(); ++i) {
    ASSERT_EQ(items.Get("substitution_accepted").IsNull(i),
              items.Get("status").StringAt(i) != "substituted");
  }
}

TEST_F(GenerateWorld, RowsHangTogether) {
  std::unordered_set<int64_t> orders, delivered;
  const auto& o = world_->orders;
  int64_t previous_created = 0;
  for (size_t i = 0; i < o.RowCount(); ++i) {
    ASSERT_TRUE(orders.insert(o.Get("order_id").ints[i]).second) << "duplicate order id";
    if (o.Get("status").StringAt(i) == "delivered") delivered.insert(o.Get("order_id").ints[i]);
    int64_t created = o.Get("created_at").ints[i];
    ASSERT_GE(created, previous_created) << "orders are in time order";
    previous_created = created;
    ASSERT_EQ(created / 86'400'000'000LL, o.Get("order_date").ints[i]);
    ASSERT_GT(o.Get("distance_km").doubles[i], 0);
    ASSERT_GT(o.Get("quoted_eta_min").doubles[i], 5);
  }
  const auto& d = world_->deliveries;
  ASSERT_EQ(d.RowCount(), delivered.size());
  for (size_t i = 0; i < d.RowCount(); ++i) {
    ASSERT_TRUE(delivered.count(d.Get("order_id").ints[i]));
    double parts = d.Get("assign_delay_min").doubles[i] + d.Get("prep_wait_min").doubles[i] +
                   d.Get("shop_min").doubles[i] + d.Get("travel_min").doubles[i];
    ASSERT_LT(parts, d.Get("actual_eta_min").doubles[i] + 0.05);
    ASSERT_EQ(d.Get("batch_size").ints[i] > 1, d.Get("is_batched").ints[i] == 1);
  }
  std::unordered_map<int64_t, int64_t> lines;
  for (size_t i = 0; i < world_->items.RowCount(); ++i)
    ++lines[world_->items.Get("order_id").ints[i]];
  for (size_t i = 0; i < o.RowCount(); ++i) {
    int64_t id = o.Get("order_id").ints[i];
    if (delivered.count(id)) {
      ASSERT_EQ(lines[id], o.Get("n_items").ints[i]);
    }
  }
  for (size_t i = 0; i < world_->support.RowCount(); ++i)
    ASSERT_TRUE(orders.count(world_->support.Get("order_id").ints[i]));
  for (size_t i = 0; i < world_->ratings.RowCount(); ++i)
    ASSERT_TRUE(delivered.count(world_->ratings.Get("order_id").ints[i]));
  EXPECT_EQ(world_->supply_hourly.RowCount(), scenario_->regions.size() * 24 * 28);
  EXPECT_EQ(world_->change_log.RowCount(), 3u);
}

// The realism ranges of docs/generator.md, each sourced there.
TEST_F(GenerateWorld, LooksLikeARealMarketplace) {
  auto orders = JoinOrders(*world_, scenario_->start_date);
  auto all = [](const OrderView&) { return true; };
  Sample on_time =
      Measure(orders, all, [](const OrderView& v) { return Delivered(v, v.late <= 5); });
  EXPECT_GT(on_time.mean, 0.85);
  EXPECT_LT(on_time.mean, 0.92);
  Sample batched = Measure(orders, all, [](const OrderView& v) { return Delivered(v, v.batched); });
  EXPECT_GT(batched.mean, 0.10);
  EXPECT_LT(batched.mean, 0.20);
  Sample late_batched = Measure(
      orders, [](const OrderView& v) { return v.batched; },
      [](const OrderView& v) { return Delivered(v, v.late); });
  Sample late_single = Measure(
      orders, [](const OrderView& v) { return !v.batched; },
      [](const OrderView& v) { return Delivered(v, v.late); });
  EXPECT_GT(late_batched.mean - late_single.mean, 4.0) << "batched orders are markedly later";
  Sample grocery_missing = Measure(
      orders, [](const OrderView& v) { return v.store_type == "grocery" && v.lines > 0; },
      [](const OrderView& v) {
        return std::optional<double>(static_cast<double>(v.missing) / v.lines);
      });
  EXPECT_GT(grocery_missing.mean, 0.01);
  EXPECT_LT(grocery_missing.mean, 0.05);
  Sample accepted = Measure(orders, all, [](const OrderView& v) -> std::optional<double> {
    if (v.substituted == 0) return std::nullopt;
    return 1.0 - static_cast<double>(v.rejected) / v.substituted;
  });
  EXPECT_GT(accepted.mean, 0.7);
  Sample rated =
      Measure(orders, all, [](const OrderView& v) { return Delivered(v, v.rating > 0); });
  EXPECT_GT(rated.mean, 0.25);
  EXPECT_LT(rated.mean, 0.35);
  std::array<int, 6> stars{};
  for (const auto& [id, v] : orders) ++stars[static_cast<size_t>(v.rating)];
  EXPECT_GT(stars[5], stars[4]);
  EXPECT_GT(stars[4], stars[3]);
  EXPECT_GT(stars[1], stars[2]) << "J-shaped: more 1s than 2s";
  Sample cancelled =
      Measure(orders, all, [](const OrderView& v) { return std::optional<double>(v.cancelled); });
  EXPECT_GT(cancelled.mean, 0.005);
  EXPECT_LT(cancelled.mean, 0.03);
}

TEST_F(GenerateWorld, DemandHasLunchAndDinnerPeaksAndAWeekendShape) {
  std::array<int64_t, 24> by_hour{};
  std::array<int64_t, 7> by_weekday{};
  const auto& created = world_->orders.Get("created_at").ints;
  for (int64_t us : created) {
    ++by_hour[static_cast<size_t>((us / 3'600'000'000LL) % 24)];
    ++by_weekday[static_cast<size_t>(WeekdayOf(static_cast<int32_t>(us / 86'400'000'000LL)))];
  }
  EXPECT_GT(by_hour[12], 1.5 * static_cast<double>(by_hour[15]));
  EXPECT_GT(by_hour[18], 1.5 * static_cast<double>(by_hour[15]));
  EXPECT_GT(by_hour[18], 10 * by_hour[4]);
  EXPECT_GT(static_cast<double>(by_weekday[5]), static_cast<double>(by_weekday[1]) * 1.1)
      << "Saturdays are busier than Tuesdays";
}

TEST_F(GenerateWorld, CleanWorldIsStableDayToDay) {
  auto orders = JoinOrders(*world_, scenario_->start_date);
  std::vector<double> sum(28, 0), count(28, 0);
  for (const auto& [id, v] : orders) {
    sum[static_cast<size_t>(v.day)] += v.Cx();
    ++count[static_cast<size_t>(v.day)];
  }
  double lo = 100, hi = 0;
  for (size_t d = 0; d < 28; ++d) {
    lo = std::min(lo, sum[d] / count[d]);
    hi = std::max(hi, sum[d] / count[d]);
  }
  // With ~3000 orders a day, sampling noise alone spans about 1.5 points over four weeks.
  EXPECT_LT(hi - lo, 2.5);
  EXPECT_GT(lo, 85);
}

}  // namespace
}  // namespace cxagent::generate::testing
