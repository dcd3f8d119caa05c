#include "server/openapi_schemas.hpp"

namespace cxagent::server::openapi {

namespace {

using Json = nlohmann::json;

Json String(std::string_view description = "") {
  Json schema = {{"type", "string"}};
  if (!description.empty()) schema["description"] = description;
  return schema;
}

Json Number(std::string_view description = "") {
  Json schema = {{"type", "number"}};
  if (!description.empty()) schema["description"] = description;
  return schema;
}

Json Integer(std::string_view description = "") {
  Json schema = {{"type", "integer"}};
  if (!description.empty()) schema["description"] = description;
  return schema;
}

Json Boolean() {
  return {{"type", "boolean"}};
}

Json Enum(std::initializer_list<std::string_view> values) {
  Json list = Json::array();
  for (const auto value : values) list.push_back(value);
  return {{"type", "string"}, {"enum", list}};
}

Json Nullable(Json schema) {
  if (schema.contains("$ref")) return {{"nullable", true}, {"allOf", Json::array({schema})}};
  schema["nullable"] = true;
  return schema;
}

Json Array(Json items) {
  return {{"type", "array"}, {"items", std::move(items)}};
}

// An object with the given properties, all of them required (the server always sends them).
Json Object(Json properties, std::string_view description = "") {
  Json required = Json::array();
  for (const auto& [name, schema] : properties.items()) required.push_back(name);
  Json schema = {{"type", "object"}, {"required", required}, {"properties", properties}};
  if (!description.empty()) schema["description"] = description;
  return schema;
}

Json DatedSeries(Json point) {
  point["date"] = DateSchema();
  return Array(Object(point));
}

Json Summary() {
  return {{"id", String("e.g. INC-0001; a rank, not stable across re-analyses")},
          {"metric", String("the lead alert's metric")},
          {"detected_by",
           String("the test that found the lead alert: cx (the CX Score's own series) or the "
                  "mechanism metric whose shift, confirmed by the CX Score, found it")},
          {"start_date", DateSchema()},
          {"end_date", Nullable(DateSchema())},
          {"severity", Enum({"high", "medium", "low"})},
          {"score", Number("0..1")},
          {"baseline", Number()},
          {"current", Number()},
          {"delta", Number()},
          {"slice", Ref("Slice")},
          {"slice_text", String("canonical text of slice, e.g. region=seattle, or all")},
          {"status", Enum({"open", "acknowledged", "resolved"})},
          {"note", String()},
          {"updated_at", Nullable(String("UTC time of the last PATCH"))},
          {"feedback", Nullable(Ref("Feedback"))},
          {"muted", Boolean()},
          {"muted_by", Nullable(Ref("MutedBy"))}};
}

}  // namespace

Json Ref(std::string_view name) {
  return {{"$ref", "#/components/schemas/" + std::string(name)}};
}

Json DateSchema() {
  return {{"type", "string"}, {"format", "date"}};
}

Json JsonResponse(std::string_view description, Json schema) {
  return {{"description", description},
          {"content", {{"application/json", {{"schema", std::move(schema)}}}}}};
}

Json JsonBody(std::string_view description, Json schema) {
  return {{"description", description},
          {"required", true},
          {"content", {{"application/json", {{"schema", std::move(schema)}}}}}};
}

Json Query(std::string_view name, std::string_view description, Json schema, bool required) {
  return {{"name", name},
          {"in", "query"},
          {"required", required},
          {"description", description},
          {"schema", std::move(schema)}};
}

Json IncidentIdParameter() {
  return {{"name", "id"},
          {"in", "path"},
          {"required", true},
          {"description", "incident id, e.g. INC-0001"},
          {"schema", String()}};
}

Json Schemas() {
  Json schemas = Json::object();
  schemas["Interval"] =
      Object({{"mean", Number()},
              {"ci90", {{"type", "array"}, {"items", Number()}, {"minItems", 2}, {"maxItems", 2}}}},
             "an estimate with its 90% interval [lo, hi]");
  schemas["Slice"] = {{"type", "object"},
                      {"additionalProperties", String()},
                      {"description", "dimension -> value; {} is the whole marketplace"}};
  schemas["Needs"] = {{"type", "array"},
                      {"items", String("table.column")},
                      {"description", "contract columns the data lacks, e.g. deliveries.late_min"}};
  schemas["Unavailable"] = Object({{"kind", Enum({"metric", "cx_component", "cause", "action"})},
                                   {"name", String()},
                                   {"needs", Ref("Needs")}},
                                  "something the data cannot support, and the columns it lacks");
  schemas["CxScoreDefinition"] = Object(
      {{"components",
        Array(String("cancelled, late, missing_lines, rejected_substitutions, contact, rating"))},
       {"unavailable", Array(Object({{"name", String()}, {"needs", Ref("Needs")}}))}},
      "the CX Score components the data supports (the others take no points off)");
  schemas["Health"] =
      Object({{"status", Enum({"ok"})},
              {"version", String()},
              {"data", Object({{"orders", Integer()},
                               {"start_date", Nullable(DateSchema())},
                               {"end_date", Nullable(DateSchema())},
                               {"dimensions", Array(String("slicing dimension"))},
                               {"cx_score", Nullable(Ref("CxScoreDefinition"))},
                               {"unavailable", Array(Ref("Unavailable"))}})},
              {"analyzed_at", Nullable(String("UTC time the served results were stored"))},
              {"incidents", Integer()},
              {"analysis", Ref("AnalysisStatus")},
              {"schedule", Nullable(Ref("Schedule"))}});
  schemas["Schedule"] =
      Object({{"daily_at", Nullable(String("HH:MM local (market) time of the daily re-analysis"))},
              {"watch", Boolean()},
              {"next_run", Nullable(String("UTC time of the next daily re-analysis"))},
              {"last_trigger", Nullable(Object({{"at", String("UTC time")},
                                                {"reason", String("schedule or data changed")}}))}},
             "serve --schedule / --watch; null when neither is given");
  schemas["AnalysisStatus"] =
      Object({{"state", Enum({"idle", "running"})},
              {"started_at", Nullable(String("UTC start of the running or last refresh"))},
              {"finished_at", Nullable(String("UTC end of the last refresh"))},
              {"last_error", Nullable(Ref("Error"))}},
             "the background re-analysis started by POST /api/analyze");
  schemas["CxScoreSeries"] =
      Object({{"cohort", Ref("Slice")},
              {"cohort_text", String()},
              {"series", DatedSeries({{"cx_score", Nullable(Number())}, {"orders", Integer()}})},
              {"incidents", Array(Object({{"id", String()},
                                          {"start_date", DateSchema()},
                                          {"end_date", Nullable(DateSchema())},
                                          {"severity", Enum({"high", "medium", "low"})}}))}});
  schemas["Cohorts"] =
      Object({{"dimensions", Array(Object({{"name", String()}, {"values", Array(String())}}))}});
  schemas["IncidentSummary"] = Object(Summary());
  schemas["IncidentList"] = Object({{"incidents", Array(Ref("IncidentSummary"))},
                                    {"total", Integer("matches before limit and offset")}});
  schemas["UnconfirmedIncident"] =
      Object({{"id", String("e.g. INC-0004; the incident routes answer 404 for it")},
              {"metric", String("the lead alert's metric")},
              {"detected_by", String("cx or the mechanism metric that found the lead alert")},
              {"start_date", DateSchema()},
              {"end_date", Nullable(DateSchema())},
              {"severity", Enum({"high", "medium", "low"})},
              {"baseline", Number()},
              {"current", Number()},
              {"delta", Number()},
              {"z", Number("the lead alert's z")},
              {"slice", Ref("Slice")},
              {"slice_text", String("canonical text of slice")},
              {"top_slice", Nullable(Ref("SliceRegression"))},
              {"top_cause", Nullable(Object({{"cause", String("cause id (domain.md §5)")},
                                             {"label", String()},
                                             {"confidence", Number("0..1, below min_confidence")}},
                                            "the most confident cause the RCA reported"))},
              {"reason", String("why it is unconfirmed, e.g. no cause reaches confidence 0.2")}},
             "an incident no cause explains: shown, not alerted, no recommendations");
  schemas["UnconfirmedList"] =
      Object({{"unconfirmed", Array(Ref("UnconfirmedIncident"))},
              {"total", Integer()},
              {"min_confidence", Nullable(Number("the rca.min_confidence the analysis applied; "
                                                 "null when it did not record it"))}});
  schemas["SliceRegression"] = Object({{"slice", Ref("Slice")},
                                       {"baseline", Number()},
                                       {"current", Number()},
                                       {"delta", Number()},
                                       {"contribution", Number()},
                                       {"rate_effect", Nullable(Number())},
                                       {"mix_effect", Nullable(Number())}});
  // Optional: analyses stored before aliases were reported do not have it.
  schemas["SliceRegression"]["properties"]["same_orders_as"] = Array(Ref("Slice"));
  schemas["SliceRegression"]["properties"]["same_orders_as"]["description"] =
      "other slices selecting exactly the same orders in the incident's windows (the data "
      "cannot tell them apart; the named slice is the first in the naming order)";
  schemas["MetricBreakdown"] = Object(
      {{"metric", String()},
       {"label", String()},
       {"higher_is_better", Boolean()},
       {"baseline", Nullable(Number())},
       {"current", Nullable(Number())},
       {"delta", Nullable(Number())},
       {"rest_baseline", Nullable(Number())},
       {"rest_current", Nullable(Number())},
       {"series", DatedSeries({{"slice", Nullable(Number())}, {"rest", Nullable(Number())}})},
       {"needs", Ref("Needs")}});
  schemas["Drilldown"] =
      Object({{"dimension", String()},
              {"metric", String("the metric compared (the incident's)")},
              {"rows", Array(Object({{"slice", Ref("Slice")},
                                     {"slice_text", String()},
                                     {"baseline", Nullable(Number())},
                                     {"current", Nullable(Number())},
                                     {"delta", Nullable(Number())},
                                     {"orders", Integer("orders in the incident window")}}))}});
  schemas["Alert"] = {
      {"type", "object"},
      {"required", {"metric", "slice", "start_date", "baseline", "current", "delta", "z"}},
      {"properties",
       {{"metric", String()},
        {"slice", Ref("Slice")},
        {"slice_text", String()},
        {"start_date", DateSchema()},
        {"end_date", Nullable(DateSchema())},
        {"baseline", Number()},
        {"current", Number()},
        {"delta", Number()},
        {"z", Number()}}}};
  Json detail = Summary();
  detail["slices"] = Array(Ref("SliceRegression"));
  detail["window"] = Object({{"baseline_start", DateSchema()},
                             {"baseline_end", DateSchema()},
                             {"start", DateSchema()},
                             {"end", DateSchema()}});
  detail["breakdown"] = Array(Ref("MetricBreakdown"));
  detail["drilldown"] = Array(Ref("Drilldown"));
  detail["alerts"] = Array(Ref("Alert"));
  schemas["IncidentDetail"] = Object(detail);
  schemas["IncidentPatch"] = {{"type", "object"},
                              {"additionalProperties", false},
                              {"minProperties", 1},
                              {"properties",
                               {{"status", Enum({"open", "acknowledged", "resolved"})},
                                {"note", {{"type", "string"}, {"maxLength", 2000}}}}}};

  const Json series = Array(Object({{"date", DateSchema()}, {"value", Number()}}));
  schemas["DriverShiftEvidence"] = Object({{"kind", Enum({"driver_shift"})},
                                           {"metric", String()},
                                           {"label", String()},
                                           {"before", Number()},
                                           {"after", Number()},
                                           {"delta", Ref("Interval")},
                                           {"change_date", Nullable(DateSchema())},
                                           {"series", series}});
  schemas["ShapEvidence"] = Object({{"kind", Enum({"shap"})},
                                    {"features", Array(Object({{"feature", String()},
                                                               {"label", String()},
                                                               {"baseline", Number()},
                                                               {"incident", Number()},
                                                               {"delta", Number()}}))}});
  schemas["DidEvidence"] =
      Object({{"kind", Enum({"did"})},
              {"metric", String()},
              {"estimate", Ref("Interval")},
              {"placebo", Object({{"estimate", Number()}, {"p_value", Number()}})},
              {"controls", Array(String())},
              {"treated", series},
              {"control", series}});
  schemas["ChangeLogEvidence"] = Object({{"kind", Enum({"change_log"})},
                                         {"change_id", String()},
                                         {"changed_at", String()},
                                         {"change_kind", String()},
                                         {"scope", String()},
                                         {"description", String()},
                                         {"consistent", Boolean()},
                                         {"reason", String()}});
  schemas["Evidence"] = {{"oneOf",
                          {Ref("DriverShiftEvidence"), Ref("ShapEvidence"), Ref("DidEvidence"),
                           Ref("ChangeLogEvidence")}},
                         {"discriminator",
                          {{"propertyName", "kind"},
                           {"mapping",
                            {{"driver_shift", "#/components/schemas/DriverShiftEvidence"},
                             {"shap", "#/components/schemas/ShapEvidence"},
                             {"did", "#/components/schemas/DidEvidence"},
                             {"change_log", "#/components/schemas/ChangeLogEvidence"}}}}}};
  schemas["MissingEvidence"] =
      Object({{"metric", String("a driver metric")}, {"needs", Ref("Needs")}},
             "a driver of the cause the data cannot measure (left out of its tests)");
  schemas["Cause"] = Object({{"cause", String("cause id (domain.md §5)")},
                             {"label", String()},
                             {"actionable", Boolean()},
                             {"confidence", Number("0..1")},
                             {"impact", Number("CX points")},
                             {"evidence", Array(Ref("Evidence"))}});
  // Sent only when some of the cause's drivers cannot be measured.
  schemas["Cause"]["properties"]["missing_evidence"] = Array(Ref("MissingEvidence"));
  schemas["NotTestable"] = Object(
      {{"cause", String("cause id (domain.md §5)")}, {"label", String()}, {"needs", Ref("Needs")}},
      "a cause the data cannot test: not ranked");
  schemas["Rca"] = Object({{"incident_id", String()},
                           {"causes", Array(Ref("Cause"))},
                           {"narrative", String()},
                           {"not_testable", Array(Ref("NotTestable"))}});
  schemas["EfficiencyDelta"] = Object({{"cost_per_order", Ref("Interval")},
                                       {"deliveries_per_dasher_hour", Ref("Interval")},
                                       {"dasher_hours_per_delivery", Ref("Interval")},
                                       {"incentive_spend", Ref("Interval")}});
  schemas["Efficiency"] = Object({{"cost_per_order", Number()},
                                  {"deliveries_per_dasher_hour", Number()},
                                  {"dasher_hours_per_delivery", Number()},
                                  {"incentive_spend", Number()}});
  schemas["CxInterval"] = Object(
      {{"sampling_half_width",
        Number("the bootstrap's 90% half-width: the orders' sampling and the refits' spread")},
       {"model_error_share",
        Number("the model's error as a share of the CX change, added to that half-width in "
               "quadrature (docs/recommend.md)")}},
      "how expected_cx_delta's 90% interval was made");
  schemas["Recommendation"] =
      Object({{"id", String("e.g. REC-0001-1")},
              {"cause", String()},
              {"kind", Enum({"revert", "improve", "mitigate"})},
              {"action", String()},
              {"template", String()},
              {"params",
               {{"type", "object"},
                {"additionalProperties", {{"oneOf", {Number(), String(), Boolean()}}}}}},
              {"expected_cx_delta", Ref("Interval")},
              {"efficiency_delta", Ref("EfficiencyDelta")},
              {"cx_per_cost", Nullable(Number())}});
  // Optional: analyses stored before the interval was calibrated do not have it.
  schemas["Recommendation"]["properties"]["cx_interval"] = Ref("CxInterval");
  schemas["Tradeoff"] =
      Object({{"template", String()},
              {"param", String()},
              {"points", Array(Object({{"value", Number()},
                                       {"cx_delta", Ref("Interval")},
                                       {"cost_per_order_delta", Ref("Interval")}}))}});
  schemas["RecommendationList"] = Object({{"incident_id", String()},
                                          {"recommendations", Array(Ref("Recommendation"))},
                                          {"tradeoffs", Array(Ref("Tradeoff"))},
                                          {"efficiency_baseline", Nullable(Ref("Efficiency"))}});
  schemas["WhatIfRequest"] = {
      {"type", "object"},
      {"additionalProperties", false},
      {"required", {"template"}},
      {"properties",
       {{"template", String("an action template the incident's recommendations use")},
        {"params",
         {{"type", "object"},
          {"description", "template parameters (numbers, strings or booleans); default {}"},
          {"additionalProperties", {{"oneOf", {Number(), String(), Boolean()}}}}}}}}};
  schemas["WhatIfResult"] =
      Object({{"template", String()},
              {"params",
               {{"type", "object"},
                {"additionalProperties", {{"oneOf", {Number(), String(), Boolean()}}}}}},
              {"action", String()},
              {"expected_cx_delta", Ref("Interval")},
              {"cx_interval", Ref("CxInterval")},
              {"efficiency_delta", Ref("EfficiencyDelta")}});
  schemas["ExperimentPlanRequest"] = {
      {"type", "object"},
      {"additionalProperties", false},
      {"required", {"recommendation_id"}},
      {"properties", {{"recommendation_id", String("a recommendation of this incident")}}}};
  const Json labels = Enum({"confirmed", "false_alarm", "expected", "duplicate"});
  schemas["Feedback"] = Object({{"label", labels},
                                {"by", String("who labelled it")},
                                {"note", String()},
                                {"updated_at", String("UTC time of the last PUT")}},
                               "what the team says the incident was");
  schemas["MutedBy"] = Object(
      {{"label", Enum({"false_alarm", "expected"})},
       {"by", String()},
       {"metric", String("the labelled incident's metric")},
       {"slice_text", String("its slice")},
       {"start_date", DateSchema()},
       {"end_date", Nullable(DateSchema())}},
      "the label that mutes this incident: its own, or one on an earlier incident of the slice "
      "whose window this incident starts in");
  schemas["FeedbackRequest"] = {
      {"type", "object"},
      {"additionalProperties", false},
      {"required", {"label", "by"}},
      {"properties",
       {{"label", labels},
        {"by", {{"type", "string"}, {"minLength", 1}, {"maxLength", 100}}},
        {"note", {{"type", "string"}, {"maxLength", 2000}}}}}};
  schemas["LabelledIncident"] =
      Object({{"incident_id", Nullable(String("the incident in the served "
                                              "analysis; null when it no "
                                              "longer finds it"))},
              {"label", labels},
              {"by", String()},
              {"note", String()},
              {"updated_at", String()},
              {"metric", String()},
              {"slice_text", String()},
              {"start_date", DateSchema()},
              {"end_date", Nullable(DateSchema())},
              {"mutes", Boolean()}});
  schemas["FeedbackSummary"] = Object(
      {{"counts", Object({{"confirmed", Integer()},
                          {"false_alarm", Integer()},
                          {"expected", Integer()},
                          {"duplicate", Integer()}})},
       {"labelled", Integer("labels saved")},
       {"unlabelled", Integer("incidents of the served analysis without a label")},
       {"precision", Nullable(Number("confirmed / labelled: the alerts the team needed"))},
       {"detection_precision",
        Nullable(Number("(confirmed + expected + duplicate) / labelled: the alerts that were "
                        "real changes"))},
       {"labels", Array(Ref("LabelledIncident"))}});
  schemas["NotifyChannel"] = Object({{"name", String()}, {"type", Enum({"webhook", "slack"})}});
  schemas["NotifyDelivery"] =
      Object({{"event_id", String("stable id of the event, also sent as X-Cxagent-Event-Id")},
              {"event", Enum({"incident_opened", "severity_raised", "incident_resolved", "test"})},
              {"channel", String()},
              {"incident_id", Nullable(String())},
              {"slice_text", Nullable(String())},
              {"status", Enum({"pending", "delivered", "failed", "muted"})},
              {"attempts", Integer()},
              {"created_at", String()},
              {"next_attempt_at", Nullable(String("when a pending delivery is tried next"))},
              {"last_attempt_at", Nullable(String())},
              {"delivered_at", Nullable(String())},
              {"http_status", Nullable(Integer("the channel's last answer"))},
              {"last_error", Nullable(String())},
              {"summary", String("the message's one-line summary")}});
  schemas["NotifyLog"] = Object({{"enabled", Boolean()},
                                 {"channels", Array(Ref("NotifyChannel"))},
                                 {"pending", Integer()},
                                 {"deliveries", Array(Ref("NotifyDelivery"))}});
  schemas["NotifyTestRequest"] = {
      {"type", "object"},
      {"additionalProperties", false},
      {"properties", {{"channel", String("one channel's name; default every channel")}}}};
  schemas["NotifyTestResult"] =
      Object({{"results", Array(Object({{"channel", String()},
                                        {"type", Enum({"webhook", "slack"})},
                                        {"ok", Boolean()},
                                        {"http_status", Nullable(Integer())},
                                        {"error", Nullable(String())}}))}});
  schemas["AnalyzeStarted"] = Object({{"state", Enum({"running"})}, {"started_at", String()}});
  return schemas;
}

}  // namespace cxagent::server::openapi
