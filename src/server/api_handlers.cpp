#include "server/api_handlers.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "common/error.hpp"
#include "server/incident_views.hpp"
#include "server/json_response.hpp"
#include "server/openapi_schemas.hpp"
#include "server/refresh_scheduler.hpp"
#include "server/request_params.hpp"
#include "storage/clickhouse_url.hpp"
#include "storage/results_store.hpp"

namespace cxagent::server {

namespace {

using nlohmann::json;

json ErrorJson(const Error& error) {
  return {
      {"code", ErrorCode(error.Type())}, {"message", error.what()}, {"details", json::object()}};
}

const json& Recommendations(const IncidentEntry& incident) {
  static const json NONE = nullptr;
  const auto found = incident.document.find("recommendations");
  if (found == incident.document.end() || !found->is_array()) return NONE;
  return *found;
}

Error RecommendationsMissing(const IncidentEntry& incident, std::string_view what) {
  return Error(ErrorType::NOT_IMPLEMENTED,
               "{} for {}: the recommendations stage has not produced recommendations for this "
               "incident (the stored analysis has none)",
               what, incident.id);
}

// Numbers compare by value (2 and 2.0 are one request), keys are sorted by json's std::map.
std::string CanonicalParams(const json& params) {
  json canonical = json::object();
  for (const auto& [name, value] : params.items()) {
    canonical[name] = value.is_number() ? json(value.get<double>()) : value;
  }
  return canonical.dump();
}

}  // namespace

ApiHandlers::ApiHandlers(std::string data_dir, pipeline::AnalysisConfig config,
                         std::shared_ptr<const Simulator> simulator, std::string dataset_file,
                         std::string results_dir)
    : data_dir_(results_dir.empty() ? data_dir : std::move(results_dir)),
      source_(std::move(data_dir)),
      dataset_file_(std::move(dataset_file)),
      config_(std::move(config)),
      simulator_(simulator ? std::move(simulator) : MakeUnavailableSimulator()),
      statuses_(std::make_shared<const storage::IncidentStatuses>()),
      feedback_(std::make_shared<const storage::IncidentFeedbacks>()) {}

ApiHandlers::~ApiHandlers() {
  std::thread refresh;
  {
    std::lock_guard lock(refresh_mutex_);
    refresh = std::move(refresh_thread_);
  }
  if (refresh.joinable()) refresh.join();
}

void ApiHandlers::Load() {
  statuses_.store(
      std::make_shared<const storage::IncidentStatuses>(storage::LoadIncidentStatuses(data_dir_)));
  feedback_.store(
      std::make_shared<const storage::IncidentFeedbacks>(storage::LoadIncidentFeedback(data_dir_)));
  if (storage::IsClickHouseUrl(source_)) {
    // The results of a ClickHouse dataset go to a folder of their own (--results).
    std::error_code error;
    std::filesystem::create_directories(data_dir_, error);
    if (error) throw IoError("cannot create {}: {}", data_dir_, error.message());
  } else if (!std::filesystem::is_directory(data_dir_)) {
    throw NotFound("data folder not found: {}", data_dir_);
  }
  if (config_.notify.Enabled()) {
    // Before any analysis runs, so that a bad channel or a damaged outbox stops the start.
    notify::NotifyConfig notify = config_.notify;
    notify.ResolveUrls();
    notifier_ = std::make_unique<notify::Notifier>(
        data_dir_, std::move(notify), notify::MakeHttpTransport(),
        [this](const notify::Delivery& delivery) {
          return storage::FindMutingFeedback(*Feedback(), delivery.metric, delivery.slice_text,
                                             delivery.start_date,
                                             storage::INCIDENT_START_TOLERANCE_DAYS) != nullptr;
        });
  }
  if (!std::filesystem::exists(storage::ResultsPath(data_dir_))) {
    spdlog::info("serve: no stored results in {}; analyzing first", data_dir_);
    const std::string read = data_fingerprint_ ? data_fingerprint_() : std::string();
    pipeline::RunAnalysis({.folder = source_, .dataset_file = dataset_file_, .results = data_dir_},
                          config_);
    if (data_fingerprint_) RecordAnalysedData(read);
  } else if (data_fingerprint_ && !LoadAnalysedFingerprint(data_dir_)) {
    // Results the server did not make (`cxagent analyze`): taken as made from the data as it is.
    RecordAnalysedData(data_fingerprint_());
  }
  const auto snapshot = LoadSnapshot(data_dir_);
  snapshot_.store(snapshot);
  // The served results may be newer than what the notifier last recorded (an analysis that
  // finished just before a crash, or one `cxagent analyze` ran): recording them again is a no-op
  // when they are the same.
  AfterAnalysis(*snapshot);
  if (notifier_) notifier_->Start();
}

void ApiHandlers::RecordAnalysedData(const std::string& fingerprint) const {
  try {
    SaveAnalysedFingerprint(data_dir_, fingerprint);
  } catch (const Error& error) {
    spdlog::warn("serve --watch: {}; the next start re-analyses the data", error.what());
  }
}

void ApiHandlers::AfterAnalysis(const Snapshot& snapshot) {
  UpdateFeedbackWindows(snapshot);
  if (notifier_) notifier_->Record(NotifyFacts(snapshot), snapshot.analyzed_at);
}

void ApiHandlers::UpdateFeedbackWindows(const Snapshot& snapshot) {
  std::lock_guard lock(feedback_write_mutex_);
  const auto current = Feedback();
  auto next = std::make_shared<storage::IncidentFeedbacks>(*current);
  bool changed = false;
  for (auto& [identity, label] : *next) {
    // The incident the label follows, found as triage states carry over and as a notification
    // link resolves. A label's start is a date (checked when the file is loaded, written from an
    // incident otherwise), so this does not throw.
    const IncidentEntry* found =
        snapshot.FindByIdentity(label.metric, label.slice_text, label.start_date);
    std::string end = label.end_date;
    if (found != nullptr) {
      end = found->end ? FormatDate(*found->end) : "";
    } else if (end.empty() && snapshot.data_end) {
      // No longer detected: its window closes at the last day of the data that lost it.
      end = FormatDate(*snapshot.data_end);
    }
    if (end != label.end_date) {
      label.end_date = end;
      changed = true;
    }
  }
  if (!changed) return;
  storage::SaveIncidentFeedback(data_dir_, *next);
  feedback_.store(std::move(next));
}

std::vector<notify::IncidentFacts> ApiHandlers::NotifyFacts(const Snapshot& snapshot) const {
  const auto feedback = Feedback();
  std::vector<notify::IncidentFacts> facts;
  facts.reserve(snapshot.incidents.size());
  for (const auto& incident : snapshot.incidents) {
    const std::string start = FormatDate(incident.start);
    facts.push_back({.id = incident.id,
                     .metric = incident.metric,
                     .slice_text = incident.slice_text,
                     .slice = incident.slice.ToJson(),
                     .start_date = start,
                     .end_date = incident.end ? FormatDate(*incident.end) : "",
                     .severity = incident.document.value("severity", std::string("low")),
                     .document = incident.document,
                     .muted = storage::FindMutingFeedback(
                                  *feedback, incident.metric, incident.slice_text, start,
                                  storage::INCIDENT_START_TOLERANCE_DAYS) != nullptr});
  }
  return facts;
}

void ApiHandlers::StartRefresh() {
  std::lock_guard lock(refresh_mutex_);
  if (refresh_running_) {
    throw Error(ErrorType::CONFLICT, "an analysis is already running (started {})",
                refresh_started_at_);
  }
  if (refresh_thread_.joinable()) refresh_thread_.join();
  refresh_running_ = true;
  refresh_started_at_ = UtcNow();
  refresh_finished_at_.clear();
  refresh_error_ = nullptr;
  refresh_thread_ = std::thread([this] { RunRefresh(); });
}

bool ApiHandlers::TryStartRefresh() {
  try {
    StartRefresh();
    return true;
  } catch (const Error& error) {
    if (error.Type() == ErrorType::CONFLICT) return false;
    throw;
  }
}

void ApiHandlers::RunRefresh() {
  json error = nullptr;
  try {
    const std::string read = data_fingerprint_ ? data_fingerprint_() : std::string();
    // A refresh: what the data's changes leave valid is reused (docs/incremental.md); a
    // ClickHouse dataset has no per-file sums to reuse and is analysed whole.
    pipeline::RunAnalysis({.folder = source_, .dataset_file = dataset_file_, .results = data_dir_},
                          config_, {.incremental = !storage::IsClickHouseUrl(source_)});
    if (data_fingerprint_) RecordAnalysedData(read);
    // One store: a reader holding the old snapshot finishes with it, the next gets the new one.
    const auto snapshot = LoadSnapshot(data_dir_);
    snapshot_.store(snapshot);
    spdlog::info("serve: re-analysis done; serving the new results");
    AfterAnalysis(*snapshot);
  } catch (const Error& failure) {
    spdlog::error("serve: re-analysis failed: {}", failure.what());
    error = ErrorJson(failure);
  } catch (const std::exception& failure) {
    spdlog::error("serve: re-analysis failed: {}", failure.what());
    error = ErrorJson(InternalError("{}", failure.what()));
  }
  std::lock_guard lock(refresh_mutex_);
  refresh_running_ = false;
  refresh_finished_at_ = UtcNow();
  refresh_error_ = std::move(error);
}

json ApiHandlers::Health() const {
  const auto snapshot = Current();
  json analysis;
  {
    std::lock_guard lock(refresh_mutex_);
    const auto time_or_null = [](const std::string& time) {
      return time.empty() ? json(nullptr) : json(time);
    };
    analysis = {{"state", refresh_running_ ? "running" : "idle"},
                {"started_at", time_or_null(refresh_started_at_)},
                {"finished_at", time_or_null(refresh_finished_at_)},
                {"last_error",
                 refresh_error_.is_null() ? json(nullptr) : json({{"error", refresh_error_}})}};
  }
  return {{"status", "ok"},
          {"version", CXAGENT_VERSION},
          {"data", snapshot->data},
          {"analyzed_at", snapshot->analyzed_at},
          {"incidents", snapshot->incidents.size()},
          {"analysis", analysis},
          {"schedule", schedule_state_ ? schedule_state_() : json(nullptr)}};
}

const storage::IncidentStatus* ApiHandlers::StatusOf(const storage::IncidentStatuses& statuses,
                                                     const IncidentEntry& incident) const {
  // A re-analysis on more data may move a start by a day or two; the operator's triage follows
  // the incident.
  return storage::FindIncidentStatus(statuses, incident.metric, incident.slice_text,
                                     FormatDate(incident.start),
                                     storage::INCIDENT_START_TOLERANCE_DAYS);
}

json ApiHandlers::Summary(const IncidentEntry& incident, const storage::IncidentStatuses& statuses,
                          const storage::IncidentFeedbacks& feedback) const {
  const std::string start = FormatDate(incident.start);
  return IncidentSummary(
      incident, StatusOf(statuses, incident),
      storage::FindByIncidentIdentity(feedback, incident.metric, incident.slice_text, start,
                                      storage::INCIDENT_START_TOLERANCE_DAYS),
      storage::FindMutingFeedback(feedback, incident.metric, incident.slice_text, start,
                                  storage::INCIDENT_START_TOLERANCE_DAYS));
}

void ApiHandlers::ListIncidents(const httplib::Request& request,
                                httplib::Response& response) const {
  const IncidentListQuery query = ParseIncidentListQuery(request.target);
  const auto& from = query.start_date;
  const auto& to = query.end_date;
  const auto& severities = query.severity;
  const auto& states = query.status;
  const int64_t limit = query.limit;
  const int64_t offset = query.offset;

  const auto snapshot = Current();
  const auto statuses = Statuses();
  const auto feedback = Feedback();
  std::vector<const IncidentEntry*> matches;
  for (const auto& incident : snapshot->incidents) {
    if (!IncidentInRange(incident, from, to)) continue;
    const auto severity = incident.document.value("severity", std::string("low"));
    if (!severities.empty() &&
        std::find(severities.begin(), severities.end(), severity) == severities.end()) {
      continue;
    }
    const auto* status = StatusOf(*statuses, incident);
    const std::string state = status != nullptr ? status->status : "open";
    if (!states.empty() && std::find(states.begin(), states.end(), state) == states.end()) {
      continue;
    }
    matches.push_back(&incident);
  }
  std::stable_sort(matches.begin(), matches.end(), [](const auto* a, const auto* b) {
    if (a->severity_rank != b->severity_rank) return a->severity_rank < b->severity_rank;
    if (a->start != b->start) return a->start > b->start;
    return a->id < b->id;
  });
  json rows = json::array();
  for (size_t i = static_cast<size_t>(offset);
       i < matches.size() && rows.size() < static_cast<size_t>(limit); ++i) {
    rows.push_back(Summary(*matches[i], *statuses, *feedback));
  }
  SendJson(response, {{"incidents", rows}, {"total", matches.size()}});
}

void ApiHandlers::ListUnconfirmed(const httplib::Request& request,
                                  httplib::Response& response) const {
  ParseNoQuery(request.target);
  const auto snapshot = Current();
  std::vector<const IncidentEntry*> rows;
  for (const auto& incident : snapshot->unconfirmed) rows.push_back(&incident);
  // Newest first, as the incident list orders within a severity: the latest dip is the one a
  // reader is most likely checking on.
  std::stable_sort(rows.begin(), rows.end(), [](const auto* a, const auto* b) {
    if (a->start != b->start) return a->start > b->start;
    return a->id < b->id;
  });
  json list = json::array();
  for (const auto* incident : rows) {
    list.push_back(UnconfirmedSummary(*incident, snapshot->unconfirmed_min_confidence));
  }
  const auto& threshold = snapshot->unconfirmed_min_confidence;
  SendJson(response, {{"unconfirmed", list},
                      {"total", rows.size()},
                      {"min_confidence", threshold ? json(*threshold) : json()}});
}

void ApiHandlers::ResolveIncident(const httplib::Request& request,
                                  httplib::Response& response) const {
  const IncidentResolveQuery query = ParseIncidentResolveQuery(request.target);
  const auto snapshot = Current();
  // The rule that carries triage states and labels across re-analyses, so that a link finds the
  // incident those follow.
  const IncidentEntry* incident =
      snapshot->FindByIdentity(query.metric, query.slice_text, query.start_date);
  if (incident == nullptr) {
    throw ApiError(ErrorType::NOT_FOUND,
                   {{"metric", query.metric},
                    {"slice_text", query.slice_text},
                    {"start_date", query.start_date}},
                   fmt::format("no incident of the current analysis has metric {} and slice {} "
                               "with a start within {} days of {}: the data no longer shows the "
                               "regression, or it now belongs to another slice",
                               query.metric, query.slice_text,
                               storage::INCIDENT_START_TOLERANCE_DAYS, query.start_date));
  }
  SendJson(response, Summary(*incident, *Statuses(), *Feedback()));
}

void ApiHandlers::GetIncident(const httplib::Request& request, httplib::Response& response,
                              const std::string& id) const {
  ParseNoQuery(request.target);
  const auto snapshot = Current();
  const IncidentEntry& incident = snapshot->Incident(id);
  const auto cached = snapshot->details.Get(
      id, [&snapshot, &incident] { return IncidentDetailBody(*snapshot, incident); });
  json detail = Summary(incident, *Statuses(), *Feedback());
  for (const auto& [key, value] : cached.value->items()) detail[key] = value;
  response.set_header("X-Cache", cached.computed ? "miss" : "hit");
  SendJson(response, detail);
}

void ApiHandlers::PatchIncident(const httplib::Request& request, httplib::Response& response,
                                const std::string& id) {
  ParseNoQuery(request.target);
  const auto snapshot = Current();
  const IncidentEntry& incident = snapshot->Incident(id);
  const auto [status, note] = ParseIncidentPatch(request.body);
  std::shared_ptr<const storage::IncidentStatuses> saved;
  {
    std::lock_guard lock(status_write_mutex_);
    auto next = std::make_shared<storage::IncidentStatuses>(*Statuses());
    auto& entry = (*next)[incident.identity];
    if (status) entry.status = *status;
    if (note) entry.note = *note;
    entry.updated_at = UtcNow();
    // Saved before it is served: a status the client saw survives a crash.
    storage::SaveIncidentStatuses(data_dir_, *next);
    saved = next;
    statuses_.store(std::move(next));
  }
  SendJson(response, Summary(incident, *saved, *Feedback()));
}

namespace {

// The key under which `feedback` holds the label of an incident (its own identity, or that of
// the same incident found by an earlier analysis with a start a day or two away).
std::optional<std::string> FeedbackKey(const storage::IncidentFeedbacks& feedback,
                                       const IncidentEntry& incident) {
  const storage::IncidentFeedback* found = storage::FindByIncidentIdentity(
      feedback, incident.metric, incident.slice_text, FormatDate(incident.start),
      storage::INCIDENT_START_TOLERANCE_DAYS);
  if (found == nullptr) return std::nullopt;
  for (const auto& [identity, label] : feedback) {
    if (&label == found) return identity;
  }
  return std::nullopt;
}

}  // namespace

void ApiHandlers::PutFeedback(const httplib::Request& request, httplib::Response& response,
                              const std::string& id) {
  ParseNoQuery(request.target);
  const auto snapshot = Current();
  const IncidentEntry& incident = snapshot->Incident(id);
  const FeedbackBody body = ParseFeedbackBody(request.body);
  std::shared_ptr<const storage::IncidentFeedbacks> saved;
  {
    std::lock_guard lock(feedback_write_mutex_);
    auto next = std::make_shared<storage::IncidentFeedbacks>(*Feedback());
    const std::string key = FeedbackKey(*next, incident).value_or(incident.identity);
    storage::IncidentFeedback& entry = (*next)[key];
    if (entry.start_date.empty()) {
      entry.metric = incident.metric;
      entry.slice_text = incident.slice_text;
      entry.start_date = FormatDate(incident.start);
    }
    entry.end_date = incident.end ? FormatDate(*incident.end) : "";
    entry.label = body.label;
    entry.by = body.by;
    entry.note = body.note;
    entry.updated_at = UtcNow();
    // Saved before it is served (and before the sender next checks a mute).
    storage::SaveIncidentFeedback(data_dir_, *next);
    saved = next;
    feedback_.store(std::move(next));
  }
  SendJson(response, Summary(incident, *Statuses(), *saved));
}

void ApiHandlers::DeleteFeedback(const httplib::Request& request, httplib::Response& response,
                                 const std::string& id) {
  ParseNoQuery(request.target);
  ParseEmptyBody(request.body, "DELETE /api/incidents/{id}/feedback");
  const auto snapshot = Current();
  const IncidentEntry& incident = snapshot->Incident(id);
  std::shared_ptr<const storage::IncidentFeedbacks> saved;
  {
    std::lock_guard lock(feedback_write_mutex_);
    auto next = std::make_shared<storage::IncidentFeedbacks>(*Feedback());
    const std::optional<std::string> key = FeedbackKey(*next, incident);
    if (!key) throw NotFound("{} has no feedback label", id);
    next->erase(*key);
    storage::SaveIncidentFeedback(data_dir_, *next);
    saved = next;
    feedback_.store(std::move(next));
  }
  SendJson(response, Summary(incident, *Statuses(), *saved));
}

void ApiHandlers::FeedbackCounts(const httplib::Request& request,
                                 httplib::Response& response) const {
  ParseNoQuery(request.target);
  const auto snapshot = Current();
  const auto feedback = Feedback();
  json counts = json::object();
  for (const auto& label : storage::FeedbackLabels()) counts[label] = 0;
  json labels = json::array();
  for (const auto& [identity, label] : *feedback) {
    counts[label.label] = counts[label.label].get<int64_t>() + 1;
    // The incident of the served analysis the label belongs to, if it still finds it: the one
    // whose window the label keeps (UpdateFeedbackWindows) and that a link to it resolves to.
    const IncidentEntry* incident =
        snapshot->FindByIdentity(label.metric, label.slice_text, label.start_date);
    labels.push_back({{"incident_id", incident != nullptr ? json(incident->id) : json()},
                      {"label", label.label},
                      {"by", label.by},
                      {"note", label.note},
                      {"updated_at", label.updated_at},
                      {"metric", label.metric},
                      {"slice_text", label.slice_text},
                      {"start_date", label.start_date},
                      {"end_date", label.end_date.empty() ? json() : json(label.end_date)},
                      {"mutes", storage::IsMutingLabel(label.label)}});
  }
  const int64_t labelled = static_cast<int64_t>(feedback->size());
  const auto count = [&counts](const char* label) { return counts[label].get<int64_t>(); };
  const auto ratio = [labelled](int64_t part) {
    return labelled == 0 ? json() : json(static_cast<double>(part) / static_cast<double>(labelled));
  };
  int64_t unlabelled = 0;
  for (const auto& incident : snapshot->incidents) {
    if (storage::FindByIncidentIdentity(*feedback, incident.metric, incident.slice_text,
                                        FormatDate(incident.start),
                                        storage::INCIDENT_START_TOLERANCE_DAYS) == nullptr) {
      ++unlabelled;
    }
  }
  SendJson(response, {{"counts", counts},
                      {"labelled", labelled},
                      {"unlabelled", unlabelled},
                      {"precision", ratio(count("confirmed"))},
                      {"detection_precision",
                       ratio(count("confirmed") + count("expected") + count("duplicate"))},
                      {"labels", labels}});
}

void ApiHandlers::NotifyLog(const httplib::Request& request, httplib::Response& response) const {
  const QueryReader query(request, {"limit"});
  const int64_t limit = query.Integer("limit", 100, 1, 500);
  if (!notifier_) {
    SendJson(response, {{"enabled", false},
                        {"channels", json::array()},
                        {"pending", 0},
                        {"deliveries", json::array()}});
    return;
  }
  SendJson(response, notifier_->Log(static_cast<size_t>(limit)));
}

void ApiHandlers::NotifyTest(const httplib::Request& request, httplib::Response& response) {
  ParseNoQuery(request.target);
  const std::optional<std::string> channel = ParseNotifyTestBody(request.body);
  if (!notifier_) {
    throw Error(ErrorType::CONFLICT,
                "notifications are off: the server's --config has no notify.channels");
  }
  SendJson(response, notifier_->SendTest(channel));
}

void ApiHandlers::GetRca(const httplib::Request& request, httplib::Response& response,
                         const std::string& id) const {
  ParseNoQuery(request.target);
  const auto snapshot = Current();
  const IncidentEntry& incident = snapshot->Incident(id);
  const auto rca = incident.document.find("rca");
  if (rca == incident.document.end() || !rca->is_object()) {
    throw Error(ErrorType::NOT_IMPLEMENTED,
                "root-cause analysis for {}: the rca stage has not produced it for this incident "
                "(the stored analysis has none)",
                id);
  }
  SendJson(response, {{"incident_id", id},
                      {"causes", rca->value("causes", json::array())},
                      {"narrative", rca->value("narrative", std::string())},
                      {"not_testable", rca->value("not_testable", json::array())}});
}

void ApiHandlers::GetRecommendations(const httplib::Request& request, httplib::Response& response,
                                     const std::string& id) const {
  ParseNoQuery(request.target);
  const auto snapshot = Current();
  const IncidentEntry& incident = snapshot->Incident(id);
  const json& recommendations = Recommendations(incident);
  if (recommendations.is_null()) throw RecommendationsMissing(incident, "recommendations");
  SendJson(response,
           {{"incident_id", id},
            {"recommendations", recommendations},
            {"tradeoffs", incident.document.value("tradeoffs", json::array())},
            {"efficiency_baseline", incident.document.value("efficiency_baseline", json())}});
}

void ApiHandlers::WhatIf(const httplib::Request& request, httplib::Response& response,
                         const std::string& id) const {
  ParseNoQuery(request.target);
  const auto snapshot = Current();
  const IncidentEntry& incident = snapshot->Incident(id);
  const WhatIfBody body = ParseWhatIfBody(request.body);
  const std::string& action_template = body.action_template;
  const json& params = body.params;
  const json& recommendations = Recommendations(incident);
  if (recommendations.is_null()) throw RecommendationsMissing(incident, "what-if");
  // The incident's recommendations name the templates and parameters that apply to it.
  std::set<std::string> templates;
  std::set<std::string> names;
  for (const auto& recommendation : recommendations) {
    const std::string name = recommendation.value("template", std::string());
    if (name.empty()) continue;
    templates.insert(name);
    if (name != action_template) continue;
    const json known = recommendation.value("params", json::object());
    for (const auto& [param, value] : known.items()) names.insert(param);
  }
  if (!templates.contains(action_template)) {
    throw BadParameter("template", "body: template '{}' does not apply to {}; allowed: {}",
                       action_template, id, fmt::join(templates, ", "));
  }
  for (const auto& [name, value] : params.items()) {
    if (!names.contains(name)) {
      throw BadParameter("params." + name,
                         "body: unknown parameter '{}' for template '{}'; allowed: {}", name,
                         action_template, fmt::join(names, ", "));
    }
  }
  const std::string key = id + "\n" + action_template + "\n" + CanonicalParams(params);
  const auto cached = snapshot->whatifs.Get(key, [&] {
    return simulator_->WhatIf({.data_dir = data_dir_,
                               .incident = incident.document,
                               .action_template = action_template,
                               .params = params});
  });
  response.set_header("X-Cache", cached.computed ? "miss" : "hit");
  SendJson(response, *cached.value);
}

void ApiHandlers::ExperimentPlan(const httplib::Request& request, httplib::Response& response,
                                 const std::string& id) const {
  ParseNoQuery(request.target);
  const auto snapshot = Current();
  const IncidentEntry& incident = snapshot->Incident(id);
  const std::string recommendation_id = ParseExperimentPlanBody(request.body);
  const json& recommendations = Recommendations(incident);
  if (recommendations.is_null()) throw RecommendationsMissing(incident, "an experiment plan");
  std::vector<std::string> known;
  for (const auto& recommendation : recommendations) {
    const std::string rec_id = recommendation.value("id", std::string());
    if (rec_id != recommendation_id) {
      known.push_back(rec_id);
      continue;
    }
    const std::string plan =
        simulator_->ExperimentPlan(data_dir_, incident.document, recommendation);
    response.set_header("Content-Disposition",
                        fmt::format("attachment; filename=\"{}-{}-plan.md\"", id, rec_id));
    response.set_content(plan, "text/markdown; charset=utf-8");
    return;
  }
  throw ApiError(ErrorType::NOT_FOUND, {{"parameter", "recommendation_id"}},
                 fmt::format("{} has no recommendation '{}'; its recommendations: {}", id,
                             recommendation_id, fmt::join(known, ", ")));
}

void ApiHandlers::CxScore(const httplib::Request& request, httplib::Response& response) const {
  const CxScoreQuery query = ParseCxScoreQuery(request.target);
  const auto& from = query.start_date;
  const auto& to = query.end_date;
  const Slice& cohort = query.cohort;
  const auto snapshot = Current();
  {
    const auto& dimensions = snapshot->cube.Dimensions();
    for (const auto& [dimension, value] : cohort.Pairs()) {
      const auto found = dimensions.find(dimension);
      if (found == dimensions.end()) {
        std::vector<std::string> names;
        for (const auto& [name, values] : dimensions) names.push_back(name);
        throw BadParameter("cohort", "cohort: unknown dimension '{}'; allowed: {}", dimension,
                           fmt::join(names, ", "));
      }
      if (!std::binary_search(found->second.begin(), found->second.end(), value)) {
        throw BadParameter("cohort", "cohort: unknown value '{}' for {}; allowed: {}", value,
                           dimension, fmt::join(found->second, ", "));
      }
    }
  }
  if (from || to) {
    SendJson(response, CxScoreSeries(*snapshot, cohort, from, to));
    return;
  }
  // The whole-range series is what the dashboard asks for on every page; its key space is the
  // cube's slices, so it is bounded.
  const auto cached = snapshot->series.Get(cohort.ToText(), [&] {
    return CxScoreSeries(*snapshot, cohort, std::nullopt, std::nullopt).dump();
  });
  response.set_header("X-Cache", cached.computed ? "miss" : "hit");
  response.set_content(*cached.value, "application/json");
}

void ApiHandlers::Cohorts(const httplib::Request& request, httplib::Response& response) const {
  ParseNoQuery(request.target);
  const auto snapshot = Current();
  json dimensions = json::array();
  for (const auto& [name, values] : snapshot->cube.Dimensions()) {
    dimensions.push_back({{"name", name}, {"values", values}});
  }
  SendJson(response, {{"dimensions", dimensions}});
}

void ApiHandlers::Register(RouteTable& routes) {
  using namespace openapi;
  const auto date_parameter = [](std::string_view name, std::string_view description) {
    return Query(name, description, DateSchema());
  };
  const json id = IncidentIdParameter();

  routes.Add({.method = "GET",
              .path = "/api/health",
              .summary = "Server status, version, the served data and the re-analysis state",
              .parameters = json::array(),
              .responses = {{"200", JsonResponse("The server is up", Ref("Health"))}},
              .quick = true,
              .handler = [this](const auto& request, auto& response, const auto&) {
                ParseNoQuery(request.target);
                SendJson(response, Health());
              }});
  routes.Add({.method = "POST",
              .path = "/api/analyze",
              .summary =
                  "Re-run the analysis in the background; the new results replace the served "
                  "ones at once when it finishes (GET /api/health reports its state)",
              .parameters = json::array(),
              .responses = {{"202", JsonResponse("The analysis started", Ref("AnalyzeStarted"))}},
              .errors = {{409, "An analysis is already running"}},
              .handler = [this](const auto& request, auto& response, const auto&) {
                ParseNoQuery(request.target);
                ParseAnalyzeBody(request.body);
                StartRefresh();
                std::string started;
                {
                  std::lock_guard lock(refresh_mutex_);
                  started = refresh_started_at_;
                }
                SendJson(response, {{"state", "running"}, {"started_at", started}}, 202);
              }});
  routes.Add(
      {.method = "GET",
       .path = "/api/incidents",
       .summary = "Incidents, most severe first, then newest",
       .parameters =
           {date_parameter("start_date", "only incidents still open on or after this date"),
            date_parameter("end_date", "only incidents starting on or before this date"),
            Query("severity", "high, medium or low; several comma-separated", {{"type", "string"}}),
            Query("status", "open, acknowledged or resolved; several comma-separated",
                  {{"type", "string"}}),
            Query("limit", "page size",
                  {{"type", "integer"}, {"minimum", 1}, {"maximum", 500}, {"default", 50}}),
            Query("offset", "rows to skip", {{"type", "integer"}, {"minimum", 0}, {"default", 0}})},
       .responses = {{"200", JsonResponse("A page of incidents", Ref("IncidentList"))}},
       .quick = true,
       .handler = [this](const auto& request, auto& response, const auto&) {
         ListIncidents(request, response);
       }});
  routes.Add(
      {.method = "GET",
       .path = "/api/unconfirmed",
       .summary = "Unconfirmed incidents, newest start first: the CX Score fell, but no cause "
                  "reaches rca.min_confidence and the severity is not high, so they are not "
                  "alerted and not served as incidents (docs/incidents.md step 10)",
       .parameters = json::array(),
       .responses = {{"200", JsonResponse("The unconfirmed incidents", Ref("UnconfirmedList"))}},
       .quick = true,
       .handler = [this](const auto& request, auto& response, const auto&) {
         ListUnconfirmed(request, response);
       }});
  // Before /api/incidents/{id}: routes match in the order they are added.
  routes.Add(
      {.method = "GET",
       .path = "/api/incidents/resolve",
       .summary = fmt::format(
           "The incident of the current analysis that an identity names (a notification link's "
           "metric, slice and start): the same metric and slice, the nearest start at most {} "
           "days away, the earlier on a tie, as triage states are matched",
           storage::INCIDENT_START_TOLERANCE_DAYS),
       .parameters = {Query("metric", "the incident's metric, e.g. cx_score", {{"type", "string"}},
                            true),
                      Query("slice", "the incident's slice text, e.g. region=seattle or all",
                            {{"type", "string"}}, true),
                      Query("start", "the incident's start date", DateSchema(), true)},
       .responses = {{"200", JsonResponse("The incident", Ref("IncidentSummary"))}},
       .errors = {{404, "No incident of the current analysis matches the identity"}},
       .quick = true,
       .handler = [this](const auto& request, auto& response, const auto&) {
         ResolveIncident(request, response);
       }});
  routes.Add({.method = "GET",
              .path = "/api/incidents/{id}",
              .summary = "One incident with its slices, metric breakdown and drilldown",
              .parameters = json::array({id}),
              .responses = {{"200", JsonResponse("The incident", Ref("IncidentDetail"))}},
              .handler = [this](const auto& request, auto& response, const auto& path) {
                GetIncident(request, response, path.at("id"));
              }});
  routes.Add({.method = "PATCH",
              .path = "/api/incidents/{id}",
              .summary = "Set an incident's triage status and note (kept across restarts and "
                         "re-analyses, matched by metric, slice and start date)",
              .parameters = json::array({id}),
              .request_body = JsonBody("status, note or both", Ref("IncidentPatch")),
              .responses = {{"200", JsonResponse("The updated incident", Ref("IncidentSummary"))}},
              .handler = [this](const auto& request, auto& response, const auto& path) {
                PatchIncident(request, response, path.at("id"));
              }});
  routes.Add(
      {.method = "PUT",
       .path = "/api/incidents/{id}/feedback",
       .summary = "Label an incident confirmed, false_alarm, expected or duplicate, with who and a "
                  "note (kept across restarts and re-analyses as statuses are; false_alarm and "
                  "expected mute it and later incidents of its slice inside its window)",
       .parameters = json::array({id}),
       .request_body = JsonBody("the label, who gives it and a note", Ref("FeedbackRequest")),
       .responses = {{"200", JsonResponse("The labelled incident", Ref("IncidentSummary"))}},
       .handler = [this](const auto& request, auto& response, const auto& path) {
         PutFeedback(request, response, path.at("id"));
       }});
  routes.Add({.method = "DELETE",
              .path = "/api/incidents/{id}/feedback",
              .summary = "Remove an incident's feedback label (and the mute it set)",
              .parameters = json::array({id}),
              .responses = {{"200", JsonResponse("The incident", Ref("IncidentSummary"))}},
              .handler = [this](const auto& request, auto& response, const auto& path) {
                DeleteFeedback(request, response, path.at("id"));
              }});
  routes.Add({.method = "GET",
              .path = "/api/feedback",
              .summary = "Feedback labels with their counts and the precision they imply",
              .parameters = json::array(),
              .responses = {{"200", JsonResponse("The labels", Ref("FeedbackSummary"))}},
              .quick = true,
              .handler = [this](const auto& request, auto& response, const auto&) {
                FeedbackCounts(request, response);
              }});
  routes.Add(
      {.method = "GET",
       .path = "/api/notify/log",
       .summary = "Notification deliveries, newest first, with the channels and what is pending",
       // json::array: a braced list of one json value is an array under GCC but a copy of the
       // value under clang.
       .parameters = json::array(
           {Query("limit", "deliveries listed",
                  {{"type", "integer"}, {"minimum", 1}, {"maximum", 500}, {"default", 100}})}),
       .responses = {{"200", JsonResponse("The delivery log", Ref("NotifyLog"))}},
       .handler = [this](const auto& request, auto& response, const auto&) {
         NotifyLog(request, response);
       }});
  routes.Add(
      {.method = "POST",
       .path = "/api/notify/test",
       .summary = "Send a test message to every notification channel, or to one, now",
       .parameters = json::array(),
       .request_body = {{"description", "none (every channel) or the channel's name"},
                        {"required", false},
                        {"content",
                         {{"application/json", {{"schema", Ref("NotifyTestRequest")}}}}}},
       .responses = {{"200", JsonResponse("What each channel answered", Ref("NotifyTestResult"))}},
       .errors = {{409, "No notification channel is configured"}},
       .handler = [this](const auto& request, auto& response, const auto&) {
         NotifyTest(request, response);
       }});
  routes.Add({.method = "GET",
              .path = "/api/incidents/{id}/rca",
              .summary = "Ranked root causes with evidence and a narrative",
              .parameters = json::array({id}),
              .responses = {{"200", JsonResponse("The root-cause analysis", Ref("Rca"))}},
              .errors = {{501, "The rca stage has not produced results for this incident"}},
              .quick = true,
              .handler = [this](const auto& request, auto& response, const auto& path) {
                GetRca(request, response, path.at("id"));
              }});
  routes.Add(
      {.method = "GET",
       .path = "/api/incidents/{id}/recommendations",
       .summary = "Ranked actions with impact estimates, intervals and tradeoff sweeps",
       .parameters = json::array({id}),
       .responses = {{"200", JsonResponse("The recommendations", Ref("RecommendationList"))}},
       .errors = {{501, "The recommendations stage has not produced results for this incident"}},
       .quick = true,
       .handler = [this](const auto& request, auto& response, const auto& path) {
         GetRecommendations(request, response, path.at("id"));
       }});
  routes.Add(
      {.method = "POST",
       .path = "/api/incidents/{id}/whatif",
       .summary = "Simulate an action with chosen parameters (cached per incident, template and "
                  "parameters)",
       .parameters = json::array({id}),
       .request_body = JsonBody("an action template and its parameters", Ref("WhatIfRequest")),
       .responses = {{"200", JsonResponse("The simulated effect", Ref("WhatIfResult"))}},
       .errors = {{501, "No simulator, or no recommendations for this incident"}},
       .handler = [this](const auto& request, auto& response, const auto& path) {
         WhatIf(request, response, path.at("id"));
       }});
  routes.Add(
      {.method = "POST",
       .path = "/api/incidents/{id}/experiment-plan",
       .summary = "The experiment plan for one recommendation, as a Markdown attachment",
       .parameters = json::array({id}),
       .request_body = JsonBody("the recommendation", Ref("ExperimentPlanRequest")),
       .responses = {{"200",
                      {{"description", "The plan (Content-Disposition: attachment)"},
                       {"content", {{"text/markdown", {{"schema", {{"type", "string"}}}}}}}}}},
       .errors = {{501, "No simulator, or no recommendations for this incident"}},
       .handler = [this](const auto& request, auto& response, const auto& path) {
         ExperimentPlan(request, response, path.at("id"));
       }});
  routes.Add(
      {.method = "GET",
       .path = "/api/metrics/cx-score",
       .summary = "Daily CX Score of a cohort, with the incidents that overlap it",
       .parameters = {date_parameter("start_date", "first date (default: the data's first)"),
                      date_parameter("end_date", "last date (default: the data's last)"),
                      Query("cohort", "a slice in text form, e.g. region=seattle&platform=ios",
                            {{"type", "string"}, {"default", "all"}})},
       .responses = {{"200", JsonResponse("The series", Ref("CxScoreSeries"))}},
       .errors = {{404, "The cohort is valid but has no stored series (too deep or too small)"}},
       .quick = true,
       .handler = [this](const auto& request, auto& response, const auto&) {
         CxScore(request, response);
       }});
  routes.Add({.method = "GET",
              .path = "/api/metrics/cohorts",
              .summary = "Dimensions and their values (those with a stored series)",
              .parameters = json::array(),
              .responses = {{"200", JsonResponse("The dimensions", Ref("Cohorts"))}},
              .quick = true,
              .handler = [this](const auto& request, auto& response, const auto&) {
                Cohorts(request, response);
              }});
}

}  // namespace cxagent::server
