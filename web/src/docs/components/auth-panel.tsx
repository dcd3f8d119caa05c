import { useId, useState, type FormEvent } from 'react';

type AuthPanelProps = {
  token: string;
  onChange: (token: string) => void;
};

/** The optional bearer token, sent as `Authorization: Bearer …` with the document fetch and every try. */
export function AuthPanel({ token, onChange }: AuthPanelProps) {
  const id = useId();
  const [draft, setDraft] = useState(token);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    onChange(draft.trim());
  }

  return (
    <form onSubmit={onSubmit} aria-label="Authorization" className="flex flex-wrap items-end gap-2">
      <div className="flex flex-col gap-1">
        <label htmlFor={id} className="text-xs font-medium text-slate-600">
          Bearer token <span className="font-normal text-slate-400">(optional, kept for this tab)</span>
        </label>
        <input
          id={id}
          type="password"
          autoComplete="off"
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
          className="w-64 rounded-md border border-slate-300 px-2.5 py-1.5 font-mono text-sm shadow-sm"
        />
      </div>
      <button type="submit" className="rounded-md bg-slate-800 px-3 py-1.5 text-sm font-semibold text-white hover:bg-slate-700">
        Authorize
      </button>
      {token ? (
        <button
          type="button"
          onClick={() => {
            setDraft('');
            onChange('');
          }}
          className="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50"
        >
          Clear
        </button>
      ) : null}
      <span aria-live="polite" className="text-xs text-slate-500">
        {token ? 'Token set' : 'No token'}
      </span>
    </form>
  );
}
