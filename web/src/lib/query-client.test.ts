import { describe, expect, it } from 'vitest';
import { ApiError } from '@/lib/api-client';
import { shouldRetry } from '@/lib/query-client';

const error = (status: number, code: string) => new ApiError({ status, code, message: code });

describe('shouldRetry', () => {
  it('retries a network failure or a server fault twice', () => {
    expect(shouldRetry(0, error(0, 'network_error'))).toBe(true);
    expect(shouldRetry(1, error(500, 'internal'))).toBe(true);
    expect(shouldRetry(2, error(500, 'internal'))).toBe(false);
  });

  it('never retries what the server meant: a 4xx, or a 501 for a stage that has produced nothing', () => {
    expect(shouldRetry(0, error(404, 'not_found'))).toBe(false);
    expect(shouldRetry(0, error(400, 'invalid_input'))).toBe(false);
    expect(shouldRetry(0, error(501, 'not_implemented'))).toBe(false);
  });
});
