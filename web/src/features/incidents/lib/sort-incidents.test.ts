import { describe, expect, it } from 'vitest';
import { sortIncidents } from '@/features/incidents/lib/sort-incidents';
import { SUMMARY_1, SUMMARY_2, SUMMARY_3 } from '@/testing/fixtures';

const ids = (rows: { id: string }[]) => rows.map((r) => r.id);
const rows = [SUMMARY_3, SUMMARY_1, SUMMARY_2];

describe('sortIncidents', () => {
  it('ranks severity and status by meaning, not alphabetically', () => {
    expect(ids(sortIncidents(rows, 'severity', 'desc'))).toEqual(['INC-0001', 'INC-0002', 'INC-0003']);
    expect(ids(sortIncidents(rows, 'status', 'desc'))).toEqual(['INC-0001', 'INC-0002', 'INC-0003']);
  });

  it('sorts numbers and dates both ways and leaves its input alone', () => {
    expect(ids(sortIncidents(rows, 'delta', 'asc'))).toEqual(['INC-0001', 'INC-0003', 'INC-0002']);
    expect(ids(sortIncidents(rows, 'start_date', 'desc'))).toEqual(['INC-0001', 'INC-0002', 'INC-0003']);
    expect(ids(rows)).toEqual(['INC-0003', 'INC-0001', 'INC-0002']);
  });

  it('keeps the server order among ties', () => {
    const tied = [{ ...SUMMARY_1, id: 'B' }, { ...SUMMARY_1, id: 'A' }];
    expect(ids(sortIncidents(tied, 'severity', 'asc'))).toEqual(['B', 'A']);
    expect(ids(sortIncidents(tied, 'severity', 'desc'))).toEqual(['B', 'A']);
  });
});
