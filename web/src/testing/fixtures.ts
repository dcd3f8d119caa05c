/**
 * API answers shaped exactly as docs/api.md fixes them, for tests. One
 * regression (batching expanded in Seattle) seen through every endpoint.
 */
import type {
  Cohorts,
  CxScoreSeries,
  FeedbackSummary,
  Health,
  IncidentDetail,
  IncidentList,
  IncidentSummary,
  NotifyLog,
  Rca,
  RecommendationList,
  UnconfirmedList,
  WhatIfResult,
} from '@/types/api';

/** `count` consecutive dates from `start` (YYYY-MM-DD, UTC). */
export function dates(start: string, count: number): string[] {
  const first = Date.parse(`${start}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) => new Date(first + i * 86_400_000).toISOString().slice(0, 10));
}

const DAYS = dates('2026-07-01', 42); // 2026-07-01 … 2026-08-11
const INCIDENT_START = '2026-07-31';

export const HEALTH: Health = {
  status: 'ok',
  version: '0.1.0',
  data: {
    orders: 1_800_000,
    start_date: '2026-06-01',
    end_date: '2026-08-11',
    dimensions: ['platform', 'region', 'store_type'],
    cx_score: { components: ['cancelled', 'late', 'missing_lines', 'rejected_substitutions', 'contact', 'rating'], unavailable: [] },
    unavailable: [],
  },
  analyzed_at: '2026-11-24T21:50:00Z',
  incidents: 3,
  analysis: { state: 'idle', started_at: null, finished_at: null, last_error: null },
  schedule: null,
};

export const SUMMARY_1: IncidentSummary = {
  id: 'INC-0001',
  metric: 'cx_score',
  detected_by: 'cx',
  start_date: INCIDENT_START,
  end_date: null,
  severity: 'high',
  score: 0.93,
  baseline: 86.2,
  current: 80.9,
  delta: -5.3,
  slice: { region: 'seattle' },
  slice_text: 'region=seattle',
  status: 'open',
  note: '',
  updated_at: null,
  feedback: null,
  muted: false,
  muted_by: null,
};

export const SUMMARY_2: IncidentSummary = {
  ...SUMMARY_1,
  id: 'INC-0002',
  metric: 'missing_item_rate',
  start_date: '2026-07-20',
  end_date: '2026-07-27',
  severity: 'medium',
  score: 0.71,
  baseline: 0.021,
  current: 0.034,
  delta: 0.013,
  slice: { vertical: 'grocery' },
  slice_text: 'vertical=grocery',
  status: 'acknowledged',
  note: 'Ops looking at picking in two stores',
  updated_at: '2026-11-24T20:00:00Z',
};

export const SUMMARY_3: IncidentSummary = {
  ...SUMMARY_1,
  id: 'INC-0003',
  start_date: '2026-07-10',
  end_date: '2026-07-14',
  severity: 'low',
  score: 0.41,
  baseline: 86.0,
  current: 84.9,
  delta: -1.1,
  slice: { platform: 'android' },
  slice_text: 'platform=android',
  status: 'resolved',
};

export const INCIDENT_LIST: IncidentList = { incidents: [SUMMARY_1, SUMMARY_2, SUMMARY_3], total: 3 };

/** `GET /api/unconfirmed` with two dips no cause explains (ids the incident list skips), newest first. */
export const UNCONFIRMED: UnconfirmedList = {
  unconfirmed: [
    {
      id: 'INC-0005',
      metric: 'cx_score',
      detected_by: 'cx',
      start_date: '2026-08-02',
      end_date: null,
      severity: 'low',
      baseline: 85.4,
      current: 83.2,
      delta: -2.2,
      z: 7.7,
      slice: { merchant: 'm-0042', platform: 'ios' },
      slice_text: 'merchant=m-0042&platform=ios',
      top_slice: {
        slice: { merchant: 'm-0042', platform: 'ios' },
        baseline: 85.4,
        current: 83.2,
        delta: -2.2,
        contribution: 1,
        rate_effect: null,
        mix_effect: null,
      },
      top_cause: { cause: 'batching_expansion', label: 'Batching expansion', confidence: 0.05 },
      reason: 'no cause reaches confidence 0.2',
    },
    {
      id: 'INC-0004',
      metric: 'cx_score',
      detected_by: 'cx',
      start_date: '2026-07-22',
      end_date: '2026-07-24',
      severity: 'medium',
      baseline: 86.1,
      current: 84.0,
      delta: -2.1,
      z: 9.5,
      slice: { region: 'atlanta' },
      slice_text: 'region=atlanta',
      top_slice: null,
      top_cause: null,
      reason: 'no cause reaches confidence 0.2',
    },
  ],
  total: 2,
  min_confidence: 0.2,
};

/** `GET /api/unconfirmed` of an analysis with none (or stored before the list existed). */
export const NO_UNCONFIRMED: UnconfirmedList = { unconfirmed: [], total: 0, min_confidence: 0.2 };

/** A CX Score that sits near 86 and drops to about 81 from the incident start. */
export const CX_SCORE: CxScoreSeries = {
  cohort: {},
  cohort_text: 'all',
  series: DAYS.map((date, i) => ({
    date,
    cx_score: Math.round((date >= INCIDENT_START ? 84.1 : 86.2 + 0.3 * Math.sin(i)) * 10) / 10,
    orders: 20_000 + (i % 7) * 500,
  })),
  incidents: [
    { id: 'INC-0001', start_date: INCIDENT_START, end_date: null, severity: 'high' },
    { id: 'INC-0003', start_date: '2026-07-10', end_date: '2026-07-14', severity: 'low' },
  ],
};

export const COHORTS: Cohorts = {
  dimensions: [
    { name: 'platform', values: ['android', 'ios', 'web'] },
    { name: 'region', values: ['atlanta', 'seattle'] },
  ],
};

const breakdown = (
  metric: string,
  label: string,
  higher_is_better: boolean,
  baseline: number,
  current: number,
  rest: number,
) => ({
  metric,
  label,
  higher_is_better,
  baseline,
  current,
  delta: Math.round((current - baseline) * 1e4) / 1e4,
  rest_baseline: rest,
  rest_current: rest,
  series: DAYS.map((date) => ({ date, slice: date >= INCIDENT_START ? current : baseline, rest })),
  needs: [] as string[],
});

export const INCIDENT_DETAIL: IncidentDetail = {
  ...SUMMARY_1,
  slices: [
    { slice: { region: 'seattle' }, baseline: 86.0, current: 79.1, delta: -6.9, contribution: 0.81, rate_effect: -6.2, mix_effect: -0.7 },
    { slice: { region: 'seattle', platform: 'ios' }, baseline: 86.4, current: 78.0, delta: -8.4, contribution: 0.42, rate_effect: -8.0, mix_effect: -0.4 },
  ],
  window: { baseline_start: '2026-07-03', baseline_end: '2026-07-30', start: INCIDENT_START, end: '2026-08-11' },
  breakdown: [
    breakdown('cx_score', 'CX Score', true, 86.0, 79.1, 86.3),
    breakdown('on_time_rate', 'On-time rate', true, 0.91, 0.78, 0.9),
    breakdown('cancel_rate', 'Cancellation rate', false, 0.02, 0.021, 0.02),
    breakdown('missing_item_rate', 'Missing items', false, 0.03, 0.031, 0.03),
    breakdown('substitution_accept_rate', 'Substitutions accepted', true, 0.8, 0.8, 0.8),
    breakdown('contact_rate', 'Contact rate', false, 0.05, 0.07, 0.05),
    breakdown('avg_rating', 'Average rating', true, 4.6, 4.3, 4.6),
    breakdown('low_rating_rate', 'Low ratings', false, 0.04, 0.07, 0.04),
  ],
  drilldown: [
    {
      dimension: 'platform',
      metric: 'cx_score',
      rows: [
        { slice: { region: 'seattle', platform: 'ios' }, slice_text: 'platform=ios&region=seattle', baseline: 86.4, current: 78.0, delta: -8.4, orders: 41_200 },
        { slice: { region: 'seattle', platform: 'android' }, slice_text: 'platform=android&region=seattle', baseline: 85.8, current: 80.1, delta: -5.7, orders: 30_950 },
      ],
    },
    {
      dimension: 'vertical',
      metric: 'cx_score',
      rows: [
        { slice: { region: 'seattle', vertical: 'restaurant' }, slice_text: 'region=seattle&vertical=restaurant', baseline: 86.1, current: 78.9, delta: -7.2, orders: 60_010 },
      ],
    },
  ],
  alerts: [
    {
      metric: 'on_time_rate',
      slice: { region: 'seattle' },
      slice_text: 'region=seattle',
      start_date: '2026-07-31',
      end_date: null,
      baseline: 0.91,
      current: 0.78,
      delta: -0.13,
      z: -7.4,
    },
  ],
};

export const RCA: Rca = {
  incident_id: 'INC-0001',
  narrative: 'From 2026-07-31 batching in Seattle rose from 12% to 41% of orders; batched orders arrive later.',
  not_testable: [],
  causes: [
    {
      cause: 'batching_expansion',
      label: 'Batching expansion',
      actionable: true,
      confidence: 0.91,
      impact: -5.8,
      evidence: [
        {
          kind: 'driver_shift',
          metric: 'batched_rate',
          label: 'Batched orders',
          before: 0.12,
          after: 0.41,
          delta: { mean: 0.29, ci90: [0.27, 0.31] },
          change_date: INCIDENT_START,
          series: DAYS.map((date) => ({ date, value: date >= INCIDENT_START ? 0.41 : 0.12 })),
        },
        {
          kind: 'shap',
          features: [
            { feature: 'is_batched', label: 'Batched order', baseline: -0.4, incident: -4.9, delta: -4.5 },
            { feature: 'distance_km', label: 'Distance', baseline: -1.0, incident: -1.3, delta: -0.3 },
          ],
        },
        {
          kind: 'did',
          metric: 'cx_score',
          estimate: { mean: -5.2, ci90: [-6.1, -4.3] },
          placebo: { estimate: 0.1, p_value: 0.62 },
          controls: ['region=atlanta'],
          treated: DAYS.map((date) => ({ date, value: date >= INCIDENT_START ? 79.1 : 86.0 })),
          control: DAYS.map((date) => ({ date, value: 86.1 })),
        },
        {
          kind: 'change_log',
          change_id: 'CHG-042',
          changed_at: '2026-07-30T18:00:00Z',
          change_kind: 'config',
          scope: 'region=seattle',
          description: 'Raise max batch size from 1 to 3',
          consistent: true,
          reason: 'Same region, one day before the drop',
        },
      ],
    },
    {
      cause: 'weather',
      label: 'Severe weather',
      actionable: false,
      confidence: 0.2,
      impact: -0.4,
      evidence: [],
    },
  ],
};

export const RECOMMENDATIONS: RecommendationList = {
  incident_id: 'INC-0001',
  recommendations: [
    {
      id: 'REC-0001-1',
      cause: 'batching_expansion',
      kind: 'revert',
      action: 'Cap batching at 1 order in region=seattle',
      template: 'batching_cap',
      params: { max_batch: 1 },
      expected_cx_delta: { mean: 5.1, ci90: [4.2, 6.0] },
      cx_interval: { sampling_half_width: 0.635, model_error_share: 0.125 },
      efficiency_delta: {
        cost_per_order: { mean: 0.42, ci90: [0.35, 0.5] },
        deliveries_per_dasher_hour: { mean: -0.3, ci90: [-0.4, -0.2] },
        dasher_hours_per_delivery: { mean: 0.05, ci90: [0.04, 0.06] },
        incentive_spend: { mean: 0, ci90: [0, 0] },
      },
      cx_per_cost: 12.1,
    },
    {
      id: 'REC-0001-2',
      cause: 'batching_expansion',
      kind: 'improve',
      action: 'Cap batching at 2 orders in region=seattle',
      template: 'batching_cap',
      params: { max_batch: 2 },
      expected_cx_delta: { mean: 3.0, ci90: [2.2, 3.8] },
      cx_interval: { sampling_half_width: 0.707, model_error_share: 0.125 },
      efficiency_delta: {
        cost_per_order: { mean: 0.2, ci90: [0.15, 0.25] },
        deliveries_per_dasher_hour: { mean: -0.1, ci90: [-0.2, 0] },
        dasher_hours_per_delivery: { mean: 0.02, ci90: [0.01, 0.03] },
        incentive_spend: { mean: 0, ci90: [0, 0] },
      },
      cx_per_cost: 15,
    },
  ],
  tradeoffs: [
    {
      template: 'batching_cap',
      param: 'max_batch',
      points: [1, 2, 3].map((value) => ({
        value,
        cx_delta: { mean: 6 - 2 * value, ci90: [5 - 2 * value, 7 - 2 * value] },
        cost_per_order_delta: { mean: 0.6 - 0.2 * value, ci90: [0.5 - 0.2 * value, 0.7 - 0.2 * value] },
      })),
    },
  ],
  efficiency_baseline: { cost_per_order: 8.4, deliveries_per_dasher_hour: 2.1, dasher_hours_per_delivery: 0.48, incentive_spend: 12_000 },
};

export const WHATIF_RESULT: WhatIfResult = {
  template: 'batching_cap',
  params: { max_batch: 3 },
  action: 'Cap batching at 3 orders in region=seattle',
  expected_cx_delta: { mean: 0.4, ci90: [-0.3, 1.1] },
  cx_interval: { sampling_half_width: 0.69, model_error_share: 0.125 },
  efficiency_delta: RECOMMENDATIONS.recommendations[1]!.efficiency_delta,
};

/** `GET /api/feedback` after two labels. */
export const FEEDBACK: FeedbackSummary = {
  counts: { confirmed: 3, false_alarm: 1, expected: 0, duplicate: 0 },
  labelled: 4,
  unlabelled: 2,
  precision: 0.75,
  detection_precision: 0.75,
  labels: [
    {
      incident_id: 'INC-0001',
      label: 'confirmed',
      by: 'ana',
      note: 'batching, verified',
      updated_at: '2026-11-24T22:00:00Z',
      metric: 'cx_score',
      slice_text: 'region=seattle',
      start_date: INCIDENT_START,
      end_date: null,
      mutes: false,
    },
  ],
};

/** `GET /api/notify/log`: one delivered event, one being retried. */
export const NOTIFY_LOG: NotifyLog = {
  enabled: true,
  channels: [
    { name: 'ops-hook', type: 'webhook' },
    { name: 'ops-slack', type: 'slack' },
  ],
  pending: 1,
  deliveries: [
    {
      event_id: 'incident_opened|cx_score|region=seattle|2026-07-31',
      event: 'incident_opened',
      channel: 'ops-slack',
      incident_id: 'INC-0001',
      slice_text: 'region=seattle',
      status: 'pending',
      attempts: 2,
      created_at: '2026-11-24T21:51:00Z',
      next_attempt_at: '2026-11-24T21:53:00Z',
      last_attempt_at: '2026-11-24T21:52:00Z',
      delivered_at: null,
      http_status: 503,
      last_error: 'HTTP 503: busy',
      summary: 'Incident INC-0001 opened in region=seattle',
    },
    {
      event_id: 'incident_opened|cx_score|region=seattle|2026-07-31',
      event: 'incident_opened',
      channel: 'ops-hook',
      incident_id: 'INC-0001',
      slice_text: 'region=seattle',
      status: 'delivered',
      attempts: 1,
      created_at: '2026-11-24T21:51:00Z',
      next_attempt_at: null,
      last_attempt_at: '2026-11-24T21:51:01Z',
      delivered_at: '2026-11-24T21:51:01Z',
      http_status: 200,
      last_error: null,
      summary: 'Incident INC-0001 opened in region=seattle',
    },
  ],
};
