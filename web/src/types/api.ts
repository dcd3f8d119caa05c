/**
 * Shapes of the REST API by their OpenAPI schema names (docs/api.md, "Schema
 * names"). Every schema is an alias of the type `npm run gen:api` writes into
 * ./openapi.ts from the server's GET /api/openapi.json, so the pages follow
 * the server's document and `tsc -b` fails when they disagree with it.
 *
 * The helper types below the aliases name parts of those schemas (a point of
 * a series, an enum) or an operation's query parameters; they are derived
 * from the generated types, never written out by hand.
 */
import type { components, operations } from './openapi';

type Schemas = components['schemas'];

// --- Schemas ---------------------------------------------------------------

/** `{"error": {...}}`: every failed call. */
export type Error = Schemas['Error'];
/** A value with its 90% interval, `ci90` = `[lo, hi]`. */
export type Interval = Schemas['Interval'];
/** A cohort as dimension -> value, e.g. `{"region": "seattle"}`; `{}` is everything. */
export type Slice = Schemas['Slice'];
/** `GET /api/health`. */
export type Health = Schemas['Health'];
/** Something the data cannot support (a metric, CX Score component, cause or action) and the `table.column`s it lacks. */
export type Unavailable = Schemas['Unavailable'];
/** `health.data.cx_score`: the CX Score components the data supports. */
export type CxScoreDefinition = Schemas['CxScoreDefinition'];
/** `health.analysis`: the background re-analysis. */
export type AnalysisStatus = Schemas['AnalysisStatus'];
/** `POST /api/analyze`. */
export type AnalyzeStarted = Schemas['AnalyzeStarted'];
/** `GET /api/metrics/cx-score`. */
export type CxScoreSeries = Schemas['CxScoreSeries'];
/** `GET /api/metrics/cohorts`: dimensions sorted by name, values sorted. */
export type Cohorts = Schemas['Cohorts'];
/** A list row and the head of the incident detail. */
export type IncidentSummary = Schemas['IncidentSummary'];
/** `GET /api/incidents`. */
export type IncidentList = Schemas['IncidentList'];
/** `GET /api/incidents/{id}`. */
export type IncidentDetail = Schemas['IncidentDetail'];
/** `GET /api/unconfirmed`: incidents no cause explains, newest start first; not alerted. */
export type UnconfirmedList = Schemas['UnconfirmedList'];
/** One unconfirmed incident: its head, lead slice, closest cause and why it is unconfirmed. */
export type UnconfirmedIncident = Schemas['UnconfirmedIncident'];
/** A slice that explains the regression, best first. */
export type SliceRegression = Schemas['SliceRegression'];
/** One component metric, the slice vs the rest of the marketplace. */
export type MetricBreakdown = Schemas['MetricBreakdown'];
/** The incident slice split by one dimension it does not fix, worst delta first. */
export type Drilldown = Schemas['Drilldown'];
export type Alert = Schemas['Alert'];
/** `PATCH /api/incidents/{id}` body: at least one field; note at most 2000 characters. */
export type IncidentPatch = Schemas['IncidentPatch'];
/** `summary.feedback`: what the team said the incident was. */
export type Feedback = Schemas['Feedback'];
/** `summary.muted_by`: the false_alarm or expected label that mutes the incident's notifications. */
export type MutedBy = Schemas['MutedBy'];
/** `PUT /api/incidents/{id}/feedback` body. */
export type FeedbackRequest = Schemas['FeedbackRequest'];
/** `GET /api/feedback`: counts, precision and the labels. */
export type FeedbackSummary = Schemas['FeedbackSummary'];
/** One saved label with its incident's window. */
export type LabelledIncident = Schemas['LabelledIncident'];
/** `health.schedule`: `serve --schedule` / `--watch`. */
export type Schedule = Schemas['Schedule'];
/** `GET /api/notify/log`. */
export type NotifyLog = Schemas['NotifyLog'];
export type NotifyChannel = Schemas['NotifyChannel'];
/** One event for one channel. */
export type NotifyDelivery = Schemas['NotifyDelivery'];
/** `POST /api/notify/test` body and answer. */
export type NotifyTestRequest = Schemas['NotifyTestRequest'];
export type NotifyTestResult = Schemas['NotifyTestResult'];
/** `GET /api/incidents/{id}/rca`: causes ordered by confidence × |impact|. */
export type Rca = Schemas['Rca'];
export type Cause = Schemas['Cause'];
/** Discriminated by `kind`. */
export type Evidence = Schemas['Evidence'];
export type DriverShiftEvidence = Schemas['DriverShiftEvidence'];
/** Mean contribution in CX points, baseline vs incident orders. */
export type ShapEvidence = Schemas['ShapEvidence'];
export type DidEvidence = Schemas['DidEvidence'];
export type ChangeLogEvidence = Schemas['ChangeLogEvidence'];
/** A cause the data cannot test: listed with what it lacks, never ranked. */
export type NotTestable = Schemas['NotTestable'];
/** A driver of a cause the data cannot measure. */
export type MissingEvidence = Schemas['MissingEvidence'];
export type Recommendation = Schemas['Recommendation'];
/** `GET /api/incidents/{id}/recommendations`. */
export type RecommendationList = Schemas['RecommendationList'];
export type EfficiencyDelta = Schemas['EfficiencyDelta'];
export type Efficiency = Schemas['Efficiency'];
/** One parameter swept for one action template. */
export type Tradeoff = Schemas['Tradeoff'];
/** `POST /api/incidents/{id}/whatif` body. */
export type WhatIfRequest = Schemas['WhatIfRequest'];
export type WhatIfResult = Schemas['WhatIfResult'];
/** `POST /api/incidents/{id}/experiment-plan` body; the answer is `text/markdown`. */
export type ExperimentPlanRequest = Schemas['ExperimentPlanRequest'];

// --- Parts of schemas --------------------------------------------------------

export type Severity = IncidentSummary['severity'];
export type IncidentStatus = IncidentSummary['status'];
export type FeedbackLabel = Feedback['label'];
export type RecommendationKind = Recommendation['kind'];
/** `health.data`: the loaded data set (dates null when the orders table is empty). */
export type DataRange = Health['data'];
/** `health.data` as far as what the data supports: dimensions, CX Score definition, what is unavailable. */
export type DataSupport = Pick<DataRange, 'dimensions' | 'cx_score' | 'unavailable'>;
/** An incident shown as a marker on the CX trend. */
export type IncidentMarker = CxScoreSeries['incidents'][number];
/** A day of the CX trend; `cx_score` is null on a day without orders in the cohort. */
export type CxScorePoint = CxScoreSeries['series'][number];
export type IncidentWindow = IncidentDetail['window'];
export type BreakdownPoint = MetricBreakdown['series'][number];
export type DrilldownRow = Drilldown['rows'][number];
export type ShapFeature = ShapEvidence['features'][number];
export type DatedValue = DriverShiftEvidence['series'][number];
export type TradeoffPoint = Tradeoff['points'][number];
/** An action parameter value (`{"max_batch": 1}`). */
export type ParamValue = NonNullable<WhatIfRequest['params']>[string];

// --- Query parameters ----------------------------------------------------------

type Query<Op extends keyof operations> = NonNullable<operations[Op]['parameters']['query']>;

/** `GET /api/incidents/resolve` query: a notification link's identity of an incident. */
export type IncidentResolveParams = Query<'GET /api/incidents/resolve'>;

/** `GET /api/metrics/cx-score` query. */
export type CxScoreParams = Query<'GET /api/metrics/cx-score'>;

/**
 * `GET /api/incidents` query. The server takes several comma-separated values
 * of `severity` and `status`; the dashboard filters by one of each.
 */
export type IncidentListParams = Omit<Query<'GET /api/incidents'>, 'severity' | 'status'> & {
  severity?: Severity;
  status?: IncidentStatus;
};
