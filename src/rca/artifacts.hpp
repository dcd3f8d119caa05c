#pragma once

#include <string>
#include <vector>

#include "rca/rca.hpp"

namespace cxagent::storage {
class Connection;
}

namespace cxagent::rca {

//! Writes each incident's CX model and sample to the connection's TEMP tables `rca_models`
//! (incident_id, model BLOB, features JSON, baseline_rows, incident_rows) and `rca_samples`
//! (incident_id, row_no, order_id, in_incident, cx_score, one DOUBLE column per feature), which
//! storage::StoreResults copies into the results database next to the analysis.
void StageArtifacts(storage::Connection& connection, const std::vector<IncidentRca>& results);
//! The same for some of the results (those of the incidents an analysis reports).
void StageArtifacts(storage::Connection& connection,
                    const std::vector<const IncidentRca*>& results);

//! Loads the stored model and sample of an incident from a data folder's results, so that `serve`
//! can re-predict orders without retraining. Throws NotFound when there are no stored results or
//! no model for the incident (too few orders, or results from before RCA existed).
IncidentModel LoadIncidentModel(const std::string& data_dir, const std::string& incident_id);

//! Standard base64 (with padding), for storing model bytes through SQL.
std::string Base64Encode(std::string_view bytes);
//! Inverse of Base64Encode; throws InvalidInput on a malformed string.
std::string Base64Decode(std::string_view text);

}  // namespace cxagent::rca
