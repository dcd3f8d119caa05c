#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/date.hpp"
#include "common/slice.hpp"
#include "server/once_cache.hpp"

namespace cxagent::server {

//! The daily sums of one slice, from the results store's `slice_cube`.
struct CubeSeries {
  std::vector<int32_t> dates;                //!< days since 1970-01-01, ascending
  std::vector<std::vector<double>> columns;  //!< per Cube::Columns() entry, aligned with `dates`
};

//! Numerator and denominator of a ratio metric summed over a window.
struct RatioSums {
  double numerator = 0;    //!< sum of the metric's numerator column
  double denominator = 0;  //!< sum of its denominator column

  //! numerator / denominator, or nullopt when the denominator is 0.
  std::optional<double> Ratio() const {
    if (denominator <= 0) return std::nullopt;
    return numerator / denominator;
  }
};

//! The slice cube in memory: per slice text, the daily sums behind the CX Score and its
//! components (the driver metrics' columns stay in the results store).
class Cube {
 public:
  //! The cube columns held, in the order of CubeSeries::columns.
  static const std::vector<std::string>& Columns();
  //! The index of `column` in Columns(); throws Internal for a column the cube does not hold.
  static size_t ColumnIndex(std::string_view column);

  //! Adds a slice's series (used while loading).
  void Add(std::string slice_text, CubeSeries series);
  //! Derives the dimensions and their values from the depth-1 slices (call after the last Add).
  void Finish();

  //! The series of a slice by canonical text, or nullptr when the cube does not hold it.
  const CubeSeries* Find(const std::string& slice_text) const;
  //! Each dimension with a stored series, with its values, both sorted.
  const std::map<std::string, std::vector<std::string>>& Dimensions() const { return dimensions_; }
  //! Sums of `numerator`/`denominator` over the dates in [from, to] of one series.
  static RatioSums Sum(const CubeSeries& series, size_t numerator, size_t denominator, Date from,
                       Date to);

 private:
  std::unordered_map<std::string, CubeSeries> series_;
  std::map<std::string, std::vector<std::string>> dimensions_;
};

//! One incident of the loaded analysis, with what the routes filter and sort on parsed once.
struct IncidentEntry {
  nlohmann::json document;  //!< the incident as in the analysis file
  std::string id;           //!< e.g. INC-0001
  std::string metric;       //!< the lead alert's metric
  Slice slice;              //!< slices[0] when localized, else the lead alert's slice
  std::string slice_text;   //!< canonical text of `slice`
  Date start;               //!< first day of the regression
  std::optional<Date> end;  //!< last day, or nullopt while it is still open
  int severity_rank = 2;    //!< 0 high, 1 medium, 2 low
  std::string identity;     //!< storage::IncidentIdentity, for triage states
};

//! Everything the API answers from, loaded once and never changed: a refresh builds a new one and
//! swaps it in, so one request sees one analysis. The caches live here so that a refresh drops
//! them with the results they were computed from.
struct Snapshot {
  //! The analysis file's `data`: orders, start_date, end_date, dimensions, cx_score (null for
  //! results stored before it was recorded) and unavailable.
  nlohmann::json data;
  //! Metrics the data cannot support (`data.unavailable`), with the columns they need.
  std::map<std::string, std::vector<std::string>> unavailable_metrics;
  std::string analyzed_at;         //!< UTC time the results were stored, `YYYY-MM-DDTHH:MM:SSZ`
  std::optional<Date> data_start;  //!< first order date, if any orders
  std::optional<Date> data_end;    //!< last order date, if any orders
  std::vector<IncidentEntry> incidents;           //!< in the analysis file's order
  std::unordered_map<std::string, size_t> by_id;  //!< incident id -> index in `incidents`
  //! storage::IncidentIdentity -> index in `incidents` (the first incident of an identity), for
  //! finding an incident by what names it across re-analyses.
  std::map<std::string, size_t> by_identity;
  //! The analysis file's `unconfirmed` (docs/incidents.md step 10: no cause explains them, not
  //! alerted), in its order; empty for an analysis stored before the list existed. Not among
  //! `incidents`: no incident route serves them, GET /api/unconfirmed lists them.
  std::vector<IncidentEntry> unconfirmed;
  //! The rca.min_confidence the analysis judged them by, when the file records it.
  std::optional<double> unconfirmed_min_confidence;
  Cube cube;                                  //!< daily sums per slice
  mutable OnceCache<nlohmann::json> details;  //!< incident detail by incident id
  mutable OnceCache<nlohmann::json> whatifs;  //!< what-if results by request key
  mutable OnceCache<std::string> series;      //!< rendered whole-range CX series by cohort text

  //! The incident with `id`; throws NotFound naming it (saying so when `id` is unconfirmed).
  const IncidentEntry& Incident(const std::string& id) const;
  //! The incident that an identity (metric, canonical slice text, start date) saved by an earlier
  //! analysis names in this one, matched as triage states and feedback labels are
  //! (storage::FindByIncidentIdentity: the same metric and slice, the nearest start at most
  //! storage::INCIDENT_START_TOLERANCE_DAYS away, the earlier on a tie); nullptr when none is.
  //! Throws InvalidInput naming start_date when it is not a date.
  const IncidentEntry* FindByIdentity(std::string_view metric, std::string_view slice_text,
                                      std::string_view start_date) const;
};

//! Loads the data folder's stored results (analysis and slice cube); throws NotFound when the
//! folder has none and InvalidInput when they are damaged.
std::shared_ptr<const Snapshot> LoadSnapshot(const std::string& data_dir);

//! Builds a snapshot from an analysis document and a cube (for LoadSnapshot and tests).
std::shared_ptr<Snapshot> BuildSnapshot(const nlohmann::json& analysis, Cube cube,
                                        std::string analyzed_at);

//! The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
std::string UtcNow();

}  // namespace cxagent::server
