#include "metrics/cx_config.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "storage/needs.hpp"

namespace cxagent::metrics {

namespace {

constexpr std::string_view LATE[] = {"deliveries.late_min"};
constexpr std::string_view MISSING[] = {"items.status"};
constexpr std::string_view REJECTED[] = {"items.status", "items.substitution_accepted"};
constexpr std::string_view CONTACT[] = {"support.order_id"};
constexpr std::string_view RATING[] = {"ratings.rating"};

constexpr CxComponent COMPONENTS[] = {
    {"cancelled", "a cancelled order scores 0", {}},
    {"late", "points off when late_min is above late_minutes (more above very_late_minutes)", LATE},
    {"missing_lines", "points off per missing line, capped", MISSING},
    {"rejected_substitutions", "points off per rejected substitution, capped", REJECTED},
    {"contact", "points off when the order has a support contact", CONTACT},
    {"rating", "points off for a rating of 1 or 2, fewer for a 3", RATING},
};

}  // namespace

std::span<const CxComponent> CxComponents() {
  return COMPONENTS;
}

std::vector<UnavailableCxComponent> UnavailableCxComponents(const storage::Dataset& dataset) {
  std::vector<UnavailableCxComponent> unavailable;
  for (const auto& component : COMPONENTS) {
    std::vector<std::string> missing = storage::MissingNeeds(dataset, component.needs);
    if (!missing.empty()) unavailable.push_back({std::string(component.name), std::move(missing)});
  }
  return unavailable;
}

CxScoreConfig ConfigForData(CxScoreConfig config, const storage::Dataset& dataset) {
  for (const auto& component : UnavailableCxComponents(dataset)) {
    if (component.name == "late") {
      config.late_penalty = 0;
      config.very_late_penalty = 0;
    } else if (component.name == "missing_lines") {
      config.missing_line_penalty = 0;
    } else if (component.name == "rejected_substitutions") {
      config.rejected_sub_penalty = 0;
    } else if (component.name == "contact") {
      config.contact_penalty = 0;
    } else if (component.name == "rating") {
      config.low_rating_penalty = 0;
      config.neutral_rating_penalty = 0;
    }
  }
  return config;
}

CxScoreConfig ReadCxScoreConfig(ConfigReader& reader) {
  CxScoreConfig config;
  config.late_minutes =
      reader.Number("late_minutes", config.late_minutes, 0, 240, "late_min above this is late");
  config.very_late_minutes = reader.Number("very_late_minutes", config.very_late_minutes, 0, 480,
                                           "late_min above this is very late");
  config.late_penalty =
      reader.Number("late_penalty", config.late_penalty, 0, 100, "points off for a late order");
  config.very_late_penalty = reader.Number("very_late_penalty", config.very_late_penalty, 0, 100,
                                           "points off for a very late order");
  config.missing_line_penalty = reader.Number("missing_line_penalty", config.missing_line_penalty,
                                              0, 100, "points off per missing line");
  config.missing_cap =
      reader.Number("missing_cap", config.missing_cap, 0, 100, "cap on missing-line points");
  config.rejected_sub_penalty = reader.Number("rejected_sub_penalty", config.rejected_sub_penalty,
                                              0, 100, "points off per rejected substitution");
  config.rejected_sub_cap = reader.Number("rejected_sub_cap", config.rejected_sub_cap, 0, 100,
                                          "cap on rejected-substitution points");
  config.contact_penalty = reader.Number("contact_penalty", config.contact_penalty, 0, 100,
                                         "points off for a support contact");
  config.low_rating_penalty = reader.Number("low_rating_penalty", config.low_rating_penalty, 0, 100,
                                            "points off for a rating of 1 or 2");
  config.neutral_rating_penalty = reader.Number(
      "neutral_rating_penalty", config.neutral_rating_penalty, 0, 100, "points off for a 3");
  reader.Finish();
  if (config.very_late_minutes < config.late_minutes) {
    throw InvalidInput("{}: must be at least late_minutes ({})", reader.Where("very_late_minutes"),
                       config.late_minutes);
  }
  return config;
}

}  // namespace cxagent::metrics
