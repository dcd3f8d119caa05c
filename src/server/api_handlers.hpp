#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "notify/notifier.hpp"
#include "pipeline/analysis.hpp"
#include "server/routes.hpp"
#include "server/simulator.hpp"
#include "server/snapshot.hpp"
#include "storage/incident_feedback.hpp"
#include "storage/incident_status.hpp"

namespace cxagent::server {

//! The API's data side: the served snapshot (swapped atomically by a background re-analysis),
//! the incidents' triage states and feedback labels, the what-if seam, the notifier that each
//! analysis feeds, and the routes that answer from them.
class ApiHandlers {
 public:
  //! Handlers that serve nothing yet (enough to register routes for the OpenAPI document).
  //! Analyses read `data_dir` (a folder or a ClickHouse URL), or the exports `dataset_file` maps;
  //! results are kept in `results_dir`, else in data_dir.
  ApiHandlers(std::string data_dir, pipeline::AnalysisConfig config,
              std::shared_ptr<const Simulator> simulator, std::string dataset_file = {},
              std::string results_dir = {});
  //! Waits for a running re-analysis.
  ~ApiHandlers();
  ApiHandlers(const ApiHandlers&) = delete;
  ApiHandlers& operator=(const ApiHandlers&) = delete;

  //! Loads the triage states, feedback and the stored results, running the analysis first when
  //! the data folder has none; with notify channels configured, records the results with the
  //! notifier (queuing what a crash after the last analysis left unqueued) and starts its sender.
  //! Throws what the analysis, the store or the notify config throw.
  void Load();
  //! Adds every data route (health, incidents, metrics, analyze) to `routes`.
  void Register(RouteTable& routes);
  //! Starts a background re-analysis (as POST /api/analyze does) unless one is running; false
  //! then. For the scheduler (`serve --schedule`, `--watch`).
  bool TryStartRefresh();
  //! What /api/health reports under `schedule` (the scheduler's state); null without one.
  void SetScheduleState(std::function<nlohmann::json()> state) {
    schedule_state_ = std::move(state);
  }
  //! With `serve --watch`, before Load: each analysis the server runs records the fingerprint of
  //! the data it reads (taken before it reads them) beside its results, so that a restart
  //! re-analyses data that changed after that (RefreshScheduler's `analysed`).
  void SetDataFingerprint(std::function<std::string()> fingerprint) {
    data_fingerprint_ = std::move(fingerprint);
  }
  //! The snapshot being served (null before Load).
  std::shared_ptr<const Snapshot> Current() const { return snapshot_.load(); }

 private:
  void StartRefresh();
  void RunRefresh();
  // What follows every analysis that is served: feedback windows brought up to date, then the
  // notifier fed.
  void AfterAnalysis(const Snapshot& snapshot);
  void UpdateFeedbackWindows(const Snapshot& snapshot);
  // Records `fingerprint` as that of the data the stored results were made from; a failure is
  // logged (the next start then re-analyses the same data, which announces nothing twice).
  void RecordAnalysedData(const std::string& fingerprint) const;
  std::vector<notify::IncidentFacts> NotifyFacts(const Snapshot& snapshot) const;
  nlohmann::json Health() const;
  std::shared_ptr<const storage::IncidentStatuses> Statuses() const { return statuses_.load(); }
  std::shared_ptr<const storage::IncidentFeedbacks> Feedback() const { return feedback_.load(); }
  const storage::IncidentStatus* StatusOf(const storage::IncidentStatuses& statuses,
                                          const IncidentEntry& incident) const;
  // The summary of the API: the incident with its triage state, feedback label and mute.
  nlohmann::json Summary(const IncidentEntry& incident, const storage::IncidentStatuses& statuses,
                         const storage::IncidentFeedbacks& feedback) const;

  void ListIncidents(const httplib::Request& request, httplib::Response& response) const;
  // The served analysis's unconfirmed incidents (docs/incidents.md step 10), newest first.
  void ListUnconfirmed(const httplib::Request& request, httplib::Response& response) const;
  // The incident of the served analysis that a notification link's identity names.
  void ResolveIncident(const httplib::Request& request, httplib::Response& response) const;
  void GetIncident(const httplib::Request& request, httplib::Response& response,
                   const std::string& id) const;
  void PatchIncident(const httplib::Request& request, httplib::Response& response,
                     const std::string& id);
  void GetRca(const httplib::Request& request, httplib::Response& response,
              const std::string& id) const;
  void GetRecommendations(const httplib::Request& request, httplib::Response& response,
                          const std::string& id) const;
  void WhatIf(const httplib::Request& request, httplib::Response& response,
              const std::string& id) const;
  void ExperimentPlan(const httplib::Request& request, httplib::Response& response,
                      const std::string& id) const;
  void PutFeedback(const httplib::Request& request, httplib::Response& response,
                   const std::string& id);
  void DeleteFeedback(const httplib::Request& request, httplib::Response& response,
                      const std::string& id);
  void FeedbackCounts(const httplib::Request& request, httplib::Response& response) const;
  void NotifyLog(const httplib::Request& request, httplib::Response& response) const;
  void NotifyTest(const httplib::Request& request, httplib::Response& response);
  void CxScore(const httplib::Request& request, httplib::Response& response) const;
  void Cohorts(const httplib::Request& request, httplib::Response& response) const;

  std::string data_dir_;  // where the results, triage states and feedback are kept
  std::string source_;    // what the analyses read: --data (a folder or a ClickHouse URL)
  std::string dataset_file_;
  pipeline::AnalysisConfig config_;
  std::shared_ptr<const Simulator> simulator_;
  std::atomic<std::shared_ptr<const Snapshot>> snapshot_;
  // Copy-on-write: readers load the map without a lock; PATCH copies, saves and swaps.
  std::atomic<std::shared_ptr<const storage::IncidentStatuses>> statuses_;
  std::mutex status_write_mutex_;
  // Feedback labels, copy-on-write like the statuses.
  std::atomic<std::shared_ptr<const storage::IncidentFeedbacks>> feedback_;
  std::mutex feedback_write_mutex_;
  // Null when no notify channel is configured (or before Load).
  std::unique_ptr<notify::Notifier> notifier_;

  mutable std::mutex refresh_mutex_;
  bool refresh_running_ = false;
  std::string refresh_started_at_;
  std::string refresh_finished_at_;
  nlohmann::json refresh_error_ = nullptr;
  std::thread refresh_thread_;
  std::function<nlohmann::json()> schedule_state_;
  std::function<std::string()> data_fingerprint_;  // set with --watch
};

}  // namespace cxagent::server
