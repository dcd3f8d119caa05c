import { useId, useState, type FormEvent } from 'react';
import { exampleFor, jsonContent, schemaLabel, type OpenApiDocument, type ResolvedOperation } from '@/docs/lib/openapi';
import { prepareRequest, sendRequest, valueKey, type TryItResult } from '@/docs/lib/send-request';

type TryItOutProps = {
  doc: OpenApiDocument;
  operation: ResolvedOperation;
  /** The bearer token from the page's Authorize box. */
  token: string;
};

type State =
  | { kind: 'idle' }
  | { kind: 'invalid'; errors: string[] }
  | { kind: 'sending' }
  | { kind: 'done'; result: TryItResult }
  | { kind: 'failed'; message: string };

const inputClass =
  'w-full rounded-md border border-slate-300 bg-white px-2.5 py-1.5 font-mono text-sm text-slate-900 shadow-sm focus:border-indigo-500';

function statusClass(status: number): string {
  if (status >= 200 && status < 300) return 'bg-emerald-100 text-emerald-800';
  if (status >= 400 && status < 500) return 'bg-amber-100 text-amber-900';
  return 'bg-rose-100 text-rose-800';
}

/** Fill in parameters and a body, send the call to this server, see what came back. */
export function TryItOut({ doc, operation, token }: TryItOutProps) {
  const formId = useId();
  const bodyContent = jsonContent(operation.requestBody?.content);
  const [values, setValues] = useState<Record<string, string>>({});
  const [body, setBody] = useState(() =>
    bodyContent ? JSON.stringify(exampleFor(doc, bodyContent[1].schema), null, 2) : '',
  );
  const [state, setState] = useState<State>({ kind: 'idle' });
  const editable = operation.parameters.filter((p) => p.in === 'path' || p.in === 'query' || p.in === 'header');

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const prepared = prepareRequest({
      method: operation.method,
      path: operation.path,
      parameters: editable,
      values,
      body: bodyContent ? body : undefined,
      token,
    });
    if (!prepared.ok) {
      setState({ kind: 'invalid', errors: prepared.errors });
      return;
    }
    setState({ kind: 'sending' });
    try {
      setState({ kind: 'done', result: await sendRequest(prepared.url, prepared.init) });
    } catch (cause) {
      setState({
        kind: 'failed',
        message: `Could not reach the API (${cause instanceof Error ? cause.message : String(cause)})`,
      });
    }
  }

  return (
    <form noValidate onSubmit={onSubmit} aria-label={`Try ${operation.method.toUpperCase()} ${operation.path}`} className="space-y-4">
      {editable.length > 0 ? (
        <fieldset className="space-y-3">
          <legend className="text-sm font-semibold text-slate-900">Parameters</legend>
          {editable.map((parameter) => {
            const id = `${formId}-${valueKey(parameter)}`;
            const required = parameter.required || parameter.in === 'path';
            return (
              <div key={valueKey(parameter)} className="grid gap-1 sm:grid-cols-[14rem_1fr] sm:items-center sm:gap-3">
                <label htmlFor={id} className="text-sm">
                  <span className="font-mono font-semibold">{parameter.name}</span>
                  {required ? <span className="ml-1 text-rose-700">*</span> : null}
                  <span className="ml-1 text-xs text-slate-500">
                    ({parameter.in}, {schemaLabel(parameter.schema)})
                  </span>
                </label>
                <input
                  id={id}
                  className={inputClass}
                  value={values[valueKey(parameter)] ?? ''}
                  required={required}
                  aria-required={required}
                  placeholder={parameter.description ?? parameter.name}
                  onChange={(event) => setValues((v) => ({ ...v, [valueKey(parameter)]: event.target.value }))}
                />
              </div>
            );
          })}
        </fieldset>
      ) : null}
      {bodyContent ? (
        <div className="space-y-1">
          <label htmlFor={`${formId}-body`} className="text-sm font-semibold text-slate-900">
            Request body <span className="font-normal text-slate-500">({bodyContent[0]})</span>
          </label>
          <textarea
            id={`${formId}-body`}
            className={`${inputClass} min-h-32`}
            spellCheck={false}
            rows={Math.min(16, Math.max(4, body.split('\n').length + 1))}
            value={body}
            onChange={(event) => setBody(event.target.value)}
          />
        </div>
      ) : null}
      <div className="flex items-center gap-3">
        <button
          type="submit"
          disabled={state.kind === 'sending'}
          className="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 disabled:opacity-60"
        >
          {state.kind === 'sending' ? 'Sending…' : 'Send'}
        </button>
        {token ? <span className="text-xs text-slate-500">with your bearer token</span> : null}
      </div>
      <div aria-live="polite">
        {state.kind === 'invalid' ? (
          <div role="alert" className="rounded-md border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-800">
            <p className="font-semibold">Nothing was sent:</p>
            <ul className="list-disc pl-5">
              {state.errors.map((error) => (
                <li key={error}>{error}</li>
              ))}
            </ul>
          </div>
        ) : null}
        {state.kind === 'failed' ? (
          <p role="alert" className="rounded-md border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-800">
            {state.message}
          </p>
        ) : null}
        {state.kind === 'done' ? <ResultView result={state.result} /> : null}
      </div>
    </form>
  );
}

function ResultView({ result }: { result: TryItResult }) {
  return (
    <section aria-label="Response" className="space-y-2 rounded-md border border-slate-200 bg-slate-50 p-3">
      <div className="flex flex-wrap items-center gap-2 text-sm">
        <span className="font-semibold">Response</span>
        <span data-testid="response-status" className={`rounded px-2 py-0.5 font-mono font-semibold ${statusClass(result.status)}`}>
          {result.status}
          {result.statusText ? ` ${result.statusText}` : ''}
        </span>
        <span className="font-mono text-xs break-all text-slate-500">{result.url}</span>
        <span className="text-xs text-slate-500">{result.durationMs} ms</span>
      </div>
      {result.errorMessage ? (
        <p role="alert" className="text-sm font-medium text-rose-800">
          {result.errorMessage}
        </p>
      ) : null}
      {result.headers.length > 0 ? (
        <dl className="grid grid-cols-[max-content_1fr] gap-x-3 font-mono text-xs">
          {result.headers.map(([name, value]) => (
            <div key={name} className="contents">
              <dt className="text-slate-500">{name}</dt>
              <dd className="break-all text-slate-800">{value}</dd>
            </div>
          ))}
        </dl>
      ) : null}
      <pre
        data-testid="response-body"
        tabIndex={0}
        aria-label="Response body"
        className="max-h-96 overflow-auto rounded bg-slate-900 p-3 font-mono text-xs text-slate-100"
      >
        {result.body || '(empty body)'}
      </pre>
    </section>
  );
}
