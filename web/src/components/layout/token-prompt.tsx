import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState, type FormEvent } from 'react';
import { Button } from '@/components/ui/button';
import { ApiError } from '@/lib/api-client';
import { loadToken, saveToken } from '@/lib/token';

function unauthorized(client: QueryClient): boolean {
  return client
    .getQueryCache()
    .getAll()
    .some((query) => query.state.error instanceof ApiError && query.state.error.status === 401);
}

/**
 * Shown while the API answers 401 (a server started with `--token` or
 * `CXAGENT_TOKEN`): asks for the token once, keeps it for this tab and loads
 * every page's data again with it.
 */
export function TokenPrompt() {
  const client = useQueryClient();
  const id = useId();
  const [needed, setNeeded] = useState(() => unauthorized(client));
  const [token, setToken] = useState('');
  const [rejected] = useState(() => loadToken() !== '');
  useEffect(() => {
    setNeeded(unauthorized(client));
    // Only answers (and resets and removals) change whether a query failed with 401. Queries are
    // also added and updated while the pages using them render, and setting state then would
    // update this component during another's render.
    return client.getQueryCache().subscribe((event) => {
      const answered = event.type === 'updated' && ['success', 'error', 'setState'].includes(event.action.type);
      if (answered || event.type === 'removed') setNeeded(unauthorized(client));
    });
  }, [client]);
  if (!needed) return null;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!token.trim()) return;
    saveToken(token);
    setToken('');
    void client.resetQueries();
  };

  return (
    <form
      onSubmit={submit}
      aria-label="API token"
      className="mb-6 flex flex-wrap items-end gap-3 rounded-lg border border-indigo-200 bg-indigo-50 px-4 py-3"
    >
      <div className="flex min-w-64 flex-1 flex-col gap-1">
        <label htmlFor={`${id}-token`} className="text-sm font-semibold text-indigo-950">
          This server needs its access token
        </label>
        <p className="text-xs text-indigo-900">
          {rejected
            ? 'The stored token was refused; enter the current one.'
            : 'It was started with --token (or CXAGENT_TOKEN). The token is kept for this browser tab only.'}
        </p>
        <input
          id={`${id}-token`}
          type="password"
          autoComplete="off"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          className="rounded-md border border-indigo-300 bg-white px-2 py-1.5 text-sm"
        />
      </div>
      <Button type="submit" disabled={!token.trim()}>
        Use token
      </Button>
    </form>
  );
}
