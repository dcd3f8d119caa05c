/**
 * Shapes of the REST API, named after the OpenAPI schemas of docs/api.md
 * ("Schema names"), so the pages never change when these become aliases of
 * the generated types:
 *
 *   export type IncidentSummary = components['schemas']['IncidentSummary'];
 *
 * (`components` from ./openapi.ts, written by `npm run gen:api` from the
 * server's /api/openapi.json). Until that document exists they are written
 * by hand from docs/api.md. The server may add fields but never removes or
 * renames these.
 */

/** `{"error": {...}}`: every failed call. */
export type Error = {
  error: { code: string; message: string; details: Record<string, unknown> };
};

/** A value with its 90% interval. */
export type Interval = {
  mean: number;
  ci90: [number, number];
};

/** A cohort as dimension -> value, e.g. `{"region": "seattle"}`; `{}` is everything. */
export type Slice = Record<string, string>;

/** The loaded data set. */
export type DataRange = {
  orders: number;
  /** Null when the orders table is empty. */
  start_date: string | null;
  end_date: string | null;
};

/** `GET /api/health`. */
export type Health = {
  status: string;
  version: string;
  /** Null until a data set is loaded. */
  data: DataRange | null;
  analyzed_at?: string | null;
  incidents?: number;
};

export type Severity = 'high' | 'medium' | 'low';
export type IncidentStatus = 'open' | 'acknowledged' | 'resolved';

/** An incident shown as a marker on the CX trend. */
export type IncidentMarker = {
  id: string;
  start_date: string;
  end_date: string | null;
  severity: Severity;
};

export type CxScorePoint = { date: string; cx_score: number; orders: number };

/** `GET /api/metrics/cx-score`. */
export type CxScoreSeries = {
  cohort: Slice;
  cohort_text: string;
  series: CxScorePoint[];
  incidents: IncidentMarker[];
};

export type CxScoreParams = { start_date?: string; end_date?: string; cohort?: string };

/** `GET /api/metrics/cohorts`: dimensions sorted by name, values sorted. */
export type Cohorts = {
  dimensions: { name: string; values: string[] }[];
};

/** A list row and the head of the incident detail. */
export type IncidentSummary = {
  id: string;
  metric: string;
  start_date: string;
  end_date: string | null;
  severity: Severity;
  score: number;
  baseline: number;
  current: number;
  delta: number;
  slice: Slice;
  slice_text: string;
  status: IncidentStatus;
  note: string;
  updated_at: string | null;
};

/** `GET /api/incidents`. */
export type IncidentList = {
  incidents: IncidentSummary[];
  /** All matches before limit/offset. */
  total: number;
};

export type IncidentListParams = {
  start_date?: string;
  end_date?: string;
  severity?: Severity;
  status?: IncidentStatus;
  limit?: number;
  offset?: number;
};

/** A slice that explains the regression, best first. */
export type SliceRegression = {
  slice: Slice;
  baseline: number;
  current: number;
  delta: number;
  contribution: number;
  rate_effect: number;
  mix_effect: number;
};

export type IncidentWindow = {
  baseline_start: string;
  baseline_end: string;
  start: string;
  end: string;
};

/** One component metric, the slice vs the rest of the marketplace. */
export type MetricBreakdown = {
  metric: string;
  label: string;
  higher_is_better: boolean;
  baseline: number;
  current: number;
  delta: number;
  rest_baseline: number;
  rest_current: number;
  series: { date: string; slice: number | null; rest: number | null }[];
};

export type DrilldownRow = {
  slice: Slice;
  slice_text: string;
  baseline: number;
  current: number;
  delta: number;
  orders: number;
};

/** The incident slice split by one dimension it does not fix, worst delta first. */
export type Drilldown = {
  dimension: string;
  rows: DrilldownRow[];
};

export type Alert = {
  metric: string;
  slice: Slice;
  start_date: string;
  baseline: number;
  current: number;
  delta: number;
  z: number;
};

/** `GET /api/incidents/{id}`. */
export type IncidentDetail = IncidentSummary & {
  slices: SliceRegression[];
  window: IncidentWindow;
  breakdown: MetricBreakdown[];
  drilldown: Drilldown[];
  alerts: Alert[];
};

/** `PATCH /api/incidents/{id}` body: at least one field; note at most 2000 characters. */
export type IncidentPatch = {
  status?: IncidentStatus;
  note?: string;
};

export type DatedValue = { date: string; value: number };

export type DriverShiftEvidence = {
  kind: 'driver_shift';
  metric: string;
  label: string;
  before: number;
  after: number;
  delta: Interval;
  change_date: string;
  series: DatedValue[];
};

export type ShapFeature = {
  feature: string;
  label: string;
  baseline: number;
  incident: number;
  delta: number;
};

/** Mean contribution in CX points, baseline vs incident orders. */
export type ShapEvidence = {
  kind: 'shap';
  features: ShapFeature[];
};

export type DidEvidence = {
  kind: 'did';
  metric: string;
  estimate: Interval;
  placebo: { estimate: number; p_value: number };
  controls: string[];
  treated: DatedValue[];
  control: DatedValue[];
};

export type ChangeLogEvidence = {
  kind: 'change_log';
  change_id: string;
  changed_at: string;
  change_kind: string;
  scope: string;
  description: string;
  consistent: boolean;
  reason: string;
};

/** Discriminated by `kind`. */
export type Evidence = DriverShiftEvidence | ShapEvidence | DidEvidence | ChangeLogEvidence;

export type Cause = {
  cause: string;
  label: string;
  actionable: boolean;
  confidence: number;
  impact: number;
  evidence: Evidence[];
};

/** `GET /api/incidents/{id}/rca`: causes ordered by confidence × |impact|. */
export type Rca = {
  incident_id: string;
  causes: Cause[];
  narrative: string;
};

export type EfficiencyDelta = {
  cost_per_order: Interval;
  deliveries_per_dasher_hour: Interval;
  dasher_hours_per_delivery: Interval;
  incentive_spend: Interval;
};

export type Efficiency = {
  cost_per_order: number;
  deliveries_per_dasher_hour: number;
  dasher_hours_per_delivery: number;
  incentive_spend: number;
};

export type RecommendationKind = 'revert' | 'improve' | 'mitigate';

/** An action parameter value (`{"max_batch": 1}`). */
export type ParamValue = number | string | boolean;

export type Recommendation = {
  id: string;
  cause: string;
  kind: RecommendationKind;
  action: string;
  template: string;
  params: Record<string, ParamValue>;
  expected_cx_delta: Interval;
  efficiency_delta: EfficiencyDelta;
  cx_per_cost: number | null;
};

export type TradeoffPoint = {
  value: number;
  cx_delta: Interval;
  cost_per_order_delta: Interval;
};

/** One parameter swept for one action template. */
export type Tradeoff = {
  template: string;
  param: string;
  points: TradeoffPoint[];
};

/** `GET /api/incidents/{id}/recommendations`. */
export type RecommendationList = {
  incident_id: string;
  recommendations: Recommendation[];
  tradeoffs: Tradeoff[];
  efficiency_baseline: Efficiency;
};

/** `POST /api/incidents/{id}/whatif` body. */
export type WhatIfRequest = {
  template: string;
  params: Record<string, ParamValue>;
};

export type WhatIfResult = {
  template: string;
  params: Record<string, ParamValue>;
  action: string;
  expected_cx_delta: Interval;
  efficiency_delta: EfficiencyDelta;
};

/** `POST /api/incidents/{id}/experiment-plan` body; the answer is `text/markdown`. */
export type ExperimentPlanRequest = {
  recommendation_id: string;
};
