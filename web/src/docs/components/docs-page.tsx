import { useMemo, useState } from 'react';
import { useOpenApi } from '@/docs/api/get-openapi';
import { AuthPanel } from '@/docs/components/auth-panel';
import { OperationCard } from '@/docs/components/operation-card';
import { SchemaView } from '@/docs/components/schema-view';
import { groupOperations, type OpenApiDocument } from '@/docs/lib/openapi';
import { loadToken, saveToken } from '@/docs/lib/token';
import { ApiError } from '@/lib/api-client';

/** The whole `/api/docs` page: header with the token box, then the document or why it is missing. */
export function DocsPage() {
  const [token, setToken] = useState(loadToken);
  const query = useOpenApi(token);

  function changeToken(next: string) {
    saveToken(next);
    setToken(next);
  }

  return (
    <div className="min-h-screen bg-slate-50 text-slate-900">
      <a
        href="#main"
        className="sr-only rounded-md bg-white px-3 py-2 text-sm font-semibold text-indigo-700 shadow focus:not-sr-only focus:fixed focus:top-3 focus:left-3 focus:z-50"
      >
        Skip to main content
      </a>
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-7xl flex-wrap items-end justify-between gap-4 px-4 py-4 sm:px-6 lg:px-8">
          <div>
            <a href="/" className="rounded text-sm font-medium text-indigo-700 hover:underline">
              ← Back to the dashboard
            </a>
            <p className="mt-1 text-xs text-slate-500">cxagent · API documentation</p>
          </div>
          <AuthPanel token={token} onChange={changeToken} />
        </div>
      </header>
      <main id="main" tabIndex={-1} className="mx-auto max-w-7xl px-4 py-8 outline-none sm:px-6 lg:px-8">
        {query.isPending ? (
          <p role="status" className="text-sm text-slate-600">
            Loading the API description from /api/openapi.json…
          </p>
        ) : query.isError ? (
          <div role="alert" className="rounded-lg border border-rose-200 bg-rose-50 p-4 text-sm text-rose-900">
            <h1 className="text-base font-semibold">Could not load the API description</h1>
            <p className="mt-1">{query.error.message}</p>
            {query.error instanceof ApiError && query.error.status === 401 ? (
              <p className="mt-1">This server requires a bearer token: enter it above and choose Authorize.</p>
            ) : null}
            <button
              type="button"
              onClick={() => void query.refetch()}
              className="mt-3 rounded-md border border-rose-300 bg-white px-3 py-1.5 font-medium hover:bg-rose-100"
            >
              Retry
            </button>
          </div>
        ) : (
          <DocumentView doc={query.data} token={token} />
        )}
      </main>
    </div>
  );
}

function DocumentView({ doc, token }: { doc: OpenApiDocument; token: string }) {
  const groups = useMemo(() => groupOperations(doc), [doc]);
  const errorSchema = doc.components?.schemas?.Error;

  return (
    <div className="grid gap-8 lg:grid-cols-[14rem_1fr]">
      <nav aria-label="Endpoints" className="lg:sticky lg:top-4 lg:self-start">
        <ul className="space-y-3 text-sm">
          {groups.map((group) => (
            <li key={group.name}>
              <a href={`#group-${group.name}`} className="font-semibold text-slate-900 hover:underline">
                {group.name}
              </a>
              <ul className="mt-1 space-y-1">
                {group.operations.map((op) => (
                  <li key={op.id}>
                    <a href={`#${op.id}`} className="flex items-center gap-2 rounded font-mono text-xs text-slate-600 hover:text-slate-900">
                      <span className="w-12 font-bold uppercase">{op.method}</span>
                      <span className="truncate">{op.path}</span>
                    </a>
                  </li>
                ))}
              </ul>
            </li>
          ))}
          {errorSchema ? (
            <li>
              <a href="#errors" className="font-semibold text-slate-900 hover:underline">
                Errors
              </a>
            </li>
          ) : null}
        </ul>
      </nav>
      <div className="min-w-0 space-y-10">
        <div>
          <div className="flex flex-wrap items-baseline gap-3">
            <h1 className="text-2xl font-semibold tracking-tight">{doc.info.title}</h1>
            <span className="rounded-full bg-slate-200 px-2 py-0.5 font-mono text-xs text-slate-700">
              v{doc.info.version}
            </span>
            <span className="rounded-full bg-emerald-100 px-2 py-0.5 font-mono text-xs text-emerald-800">
              OAS {doc.openapi}
            </span>
          </div>
          {doc.info.description ? <p className="mt-2 max-w-3xl text-sm text-slate-700">{doc.info.description}</p> : null}
          <p className="mt-2 text-xs text-slate-500">
            <a href="/api/openapi.json" className="text-indigo-700 hover:underline">
              /api/openapi.json
            </a>
          </p>
        </div>
        {groups.map((group) => (
          <section key={group.name} aria-labelledby={`group-${group.name}`} className="space-y-3">
            <h2 id={`group-${group.name}`} className="scroll-mt-4 border-b border-slate-200 pb-1 text-lg font-semibold">
              {group.name}
            </h2>
            {group.operations.map((op) => (
              <OperationCard key={op.id} doc={doc} operation={op} token={token} />
            ))}
          </section>
        ))}
        {errorSchema ? (
          <section aria-labelledby="errors" className="space-y-3">
            <h2 id="errors" className="scroll-mt-4 border-b border-slate-200 pb-1 text-lg font-semibold">
              Errors
            </h2>
            <p className="text-sm text-slate-700">
              Every failed call answers with a 4xx or 5xx status and this body; the message names the offending
              parameter.
            </p>
            <div className="rounded-lg border border-slate-200 bg-white p-4">
              <SchemaView doc={doc} schema={{ $ref: '#/components/schemas/Error' }} />
            </div>
          </section>
        ) : null}
        {groups.length === 0 ? (
          <p className="text-sm text-slate-600">The document lists no endpoints.</p>
        ) : null}
      </div>
    </div>
  );
}
