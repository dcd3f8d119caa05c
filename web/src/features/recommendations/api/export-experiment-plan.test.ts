import { afterEach, describe, expect, it, vi } from 'vitest';
import { exportExperimentPlan } from '@/features/recommendations/api/export-experiment-plan';
import * as download from '@/lib/download';
import { mockFetch } from '@/testing/mock-fetch';

describe('exportExperimentPlan', () => {
  afterEach(() => vi.restoreAllMocks());

  it('names the file after the plan when the server sends no Content-Disposition', async () => {
    const save = vi.spyOn(download, 'saveFile').mockImplementation(() => {});
    const spy = mockFetch(() => new Response('# Plan\n', { headers: { 'Content-Type': 'text/markdown' } }));

    await expect(exportExperimentPlan('INC-0001', 'REC-0001-1')).resolves.toEqual({
      filename: 'INC-0001-REC-0001-1-plan.md',
      size: 7,
    });
    expect(spy.mock.calls[0]?.[0]).toBe('/api/incidents/INC-0001/experiment-plan');
    expect(spy.mock.calls[0]?.[1]).toMatchObject({
      method: 'POST',
      body: '{"recommendation_id":"REC-0001-1"}',
      headers: { Accept: 'text/markdown, text/plain' },
    });
    expect(save).toHaveBeenCalledWith(expect.any(Blob), 'INC-0001-REC-0001-1-plan.md');
  });
});
