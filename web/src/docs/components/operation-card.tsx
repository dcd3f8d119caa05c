import { useId, useState } from 'react';
import { MethodBadge } from '@/docs/components/method-badge';
import { SchemaView } from '@/docs/components/schema-view';
import { TryItOut } from '@/docs/components/try-it-out';
import { schemaLabel, type OpenApiDocument, type ResolvedOperation } from '@/docs/lib/openapi';

type OperationCardProps = {
  doc: OpenApiDocument;
  operation: ResolvedOperation;
  token: string;
};

function SectionTitle({ children }: { children: string }) {
  return <h4 className="mb-2 text-xs font-semibold tracking-wide text-slate-500 uppercase">{children}</h4>;
}

/** One endpoint: a header row that expands into its parameters, body, responses and "Try it out". */
export function OperationCard({ doc, operation, token }: OperationCardProps) {
  const [open, setOpen] = useState(false);
  const [trying, setTrying] = useState(false);
  const panelId = useId();
  const label = `${operation.method.toUpperCase()} ${operation.path}`;

  return (
    <article id={operation.id} aria-label={label} className="scroll-mt-24 rounded-lg border border-slate-200 bg-white shadow-sm">
      <h3>
        <button
          type="button"
          aria-expanded={open}
          aria-controls={panelId}
          onClick={() => setOpen((o) => !o)}
          className="flex w-full items-center gap-3 rounded-lg px-4 py-3 text-left hover:bg-slate-50"
        >
          <MethodBadge method={operation.method} />
          <span className="font-mono text-sm font-semibold break-all text-slate-900">{operation.path}</span>
          <span className="min-w-0 flex-1 truncate text-sm text-slate-600">{operation.summary}</span>
          <svg aria-hidden="true" viewBox="0 0 20 20" className={`size-4 shrink-0 text-slate-400 ${open ? 'rotate-180' : ''}`}>
            <path d="M5 7l5 6 5-6" fill="none" stroke="currentColor" strokeWidth="2" />
          </svg>
        </button>
      </h3>
      <div id={panelId} hidden={!open} className="space-y-5 border-t border-slate-100 px-4 py-4">
        {operation.description ? <p className="text-sm text-slate-700">{operation.description}</p> : null}

        <section>
          <SectionTitle>Parameters</SectionTitle>
          {operation.parameters.length === 0 ? (
            <p className="text-sm text-slate-500">No parameters.</p>
          ) : (
            <table className="w-full text-left text-sm">
              <caption className="sr-only">Parameters of {label}</caption>
              <thead className="text-xs text-slate-500">
                <tr>
                  <th scope="col" className="py-1 pr-3 font-medium">Name</th>
                  <th scope="col" className="py-1 pr-3 font-medium">In</th>
                  <th scope="col" className="py-1 pr-3 font-medium">Required</th>
                  <th scope="col" className="py-1 pr-3 font-medium">Schema</th>
                  <th scope="col" className="py-1 font-medium">Description</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {operation.parameters.map((p) => (
                  <tr key={`${p.in}:${p.name}`}>
                    <td className="py-1.5 pr-3 font-mono font-semibold">{p.name}</td>
                    <td className="py-1.5 pr-3 text-slate-600">{p.in}</td>
                    <td className="py-1.5 pr-3">{p.required || p.in === 'path' ? 'yes' : 'no'}</td>
                    <td className="py-1.5 pr-3 font-mono text-xs">{schemaLabel(p.schema)}</td>
                    <td className="py-1.5 text-slate-600">{p.description ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>

        {operation.requestBody ? (
          <section>
            <SectionTitle>Request body</SectionTitle>
            {operation.requestBody.description ? (
              <p className="mb-1 text-sm text-slate-700">{operation.requestBody.description}</p>
            ) : null}
            {Object.entries(operation.requestBody.content ?? {}).map(([type, media]) => (
              <div key={type} className="rounded-md bg-slate-50 p-3">
                <p className="mb-1 font-mono text-xs text-slate-500">
                  {type}
                  {operation.requestBody?.required ? ' · required' : ''}
                </p>
                <SchemaView doc={doc} schema={media.schema} />
              </div>
            ))}
          </section>
        ) : null}

        <section>
          <SectionTitle>Responses</SectionTitle>
          <ul className="divide-y divide-slate-100">
            {operation.responses.map(({ status, response }) => (
              <li key={status} className="grid gap-2 py-2 sm:grid-cols-[4rem_1fr]">
                <span className="font-mono text-sm font-semibold">{status}</span>
                <div className="min-w-0">
                  <p className="text-sm text-slate-700">{response.description}</p>
                  {Object.entries(response.content ?? {}).map(([type, media]) => (
                    <div key={type} className="mt-1 rounded-md bg-slate-50 p-3">
                      <p className="mb-1 font-mono text-xs text-slate-500">{type}</p>
                      <SchemaView doc={doc} schema={media.schema} />
                    </div>
                  ))}
                </div>
              </li>
            ))}
          </ul>
        </section>

        <section>
          <div className="flex items-center justify-between">
            <SectionTitle>Try it out</SectionTitle>
            <button
              type="button"
              aria-pressed={trying}
              onClick={() => setTrying((t) => !t)}
              className="rounded-md border border-slate-300 px-3 py-1 text-sm font-medium text-slate-700 hover:bg-slate-50"
            >
              {trying ? 'Cancel' : 'Try it out'}
            </button>
          </div>
          {trying ? <TryItOut doc={doc} operation={operation} token={token} /> : null}
        </section>
      </div>
    </article>
  );
}
