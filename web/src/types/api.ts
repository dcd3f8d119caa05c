/**
 * Shapes of the REST API (interfaces.md §2 and §5).
 *
 * Written by hand from the contract until the server publishes
 * `/api/openapi.json`; then this file is generated from that document.
 * The server may add fields but never removes or renames these.
 */

/** The loaded data set, as `GET /api/health` and the analysis file describe it. */
export type DataRange = {
  orders: number;
  /** Null when the orders table is empty. */
  start_date: string | null;
  end_date: string | null;
};

/** `GET /api/health`. `data` is null until a data set is loaded. */
export type Health = {
  status: string;
  version: string;
  data: DataRange | null;
};

export type Severity = 'low' | 'medium' | 'high' | (string & {});
export type IncidentStatus = 'open' | 'acknowledged' | 'resolved';

/** A cohort written as dimension -> value, e.g. `{"region": "seattle"}`. */
export type Slice = Record<string, string>;

export type SliceRegression = {
  slice: Slice;
  baseline: number;
  current: number;
  delta: number;
  contribution: number;
};

export type Incident = {
  id: string;
  metric: string;
  start_date: string;
  end_date: string | null;
  severity: Severity;
  score: number;
  baseline: number;
  current: number;
  delta: number;
  status?: IncidentStatus;
  slices?: SliceRegression[];
};

/** `GET /api/incidents`. */
export type IncidentList = {
  incidents: Incident[];
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

export type Cause = {
  cause: string;
  confidence: number;
  impact: number;
  evidence: unknown[];
};

/** `GET /api/incidents/{id}/rca`. */
export type Rca = {
  causes: Cause[];
  narrative: string;
};

export type Interval90 = {
  mean: number;
  ci90: [number, number];
};

export type Recommendation = {
  id: string;
  cause: string;
  kind: 'revert' | 'improve' | 'mitigate';
  action: string;
  params: Record<string, unknown>;
  expected_cx_delta: Interval90;
  efficiency_delta: Record<string, unknown>;
};

export type CxScorePoint = {
  date: string;
  cx_score: number;
};

export type CxScoreParams = {
  start_date?: string;
  end_date?: string;
  cohort?: string;
};

// The contract names what these two endpoints return but not the envelope
// around it; these are assumptions to check against /api/openapi.json.

/** `GET /api/incidents/{id}/recommendations` (envelope assumed). */
export type RecommendationList = {
  recommendations: Recommendation[];
};

/** `GET /api/metrics/cx-score` (envelope assumed). */
export type CxScoreSeries = {
  series: CxScorePoint[];
};
