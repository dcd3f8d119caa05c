#include "metrics/cx_config.hpp"

#include "common/error.hpp"

namespace cxagent::metrics {

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
