import { useId, useState, type FormEvent } from 'react';
import { Button } from '@/components/ui/button';
import { ErrorState } from '@/components/ui/error-state';
import { useUpdateIncident } from '@/features/incidents/api/update-incident';
import type { IncidentPatch, IncidentStatus, IncidentSummary } from '@/types/api';

export const NOTE_MAX = 2000;

const STATUSES: { value: IncidentStatus; label: string; hint: string }[] = [
  { value: 'open', label: 'Open', hint: 'Nobody has taken it yet' },
  { value: 'acknowledged', label: 'Acknowledged', hint: 'Someone is on it' },
  { value: 'resolved', label: 'Resolved', hint: 'Fixed or explained' },
];

/** Acknowledge or resolve the incident with a note (`PATCH /api/incidents/{id}`). */
export function StatusControl({ incident }: { incident: IncidentSummary }) {
  const id = useId();
  const mutation = useUpdateIncident(incident.id);
  const [status, setStatus] = useState<IncidentStatus>(incident.status);
  const [note, setNote] = useState(incident.note);

  const patch: IncidentPatch = {};
  if (status !== incident.status) patch.status = status;
  if (note !== incident.note) patch.note = note;
  const changed = Object.keys(patch).length > 0;
  const tooLong = note.length > NOTE_MAX;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!changed || tooLong) return;
    mutation.mutate(patch, {
      // Show what the server stored (it may trim or normalise the note).
      onSuccess: (saved) => {
        setStatus(saved.status);
        setNote(saved.note);
      },
    });
  };

  return (
    <form onSubmit={submit} aria-label="Update status" className="flex flex-col gap-3">
      <fieldset>
        <legend className="text-xs font-medium text-slate-600">Status</legend>
        <div className="mt-1 flex flex-wrap gap-2">
          {STATUSES.map((option) => (
            <label
              key={option.value}
              title={option.hint}
              className={`flex cursor-pointer items-center gap-2 rounded-lg border px-3 py-1.5 text-sm has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-indigo-600 ${
                status === option.value ? 'border-indigo-600 bg-indigo-50 text-indigo-900' : 'border-slate-300 bg-white text-slate-700'
              }`}
            >
              <input
                type="radio"
                name={`${id}-status`}
                value={option.value}
                checked={status === option.value}
                onChange={() => setStatus(option.value)}
                className="accent-indigo-600"
              />
              {option.label}
            </label>
          ))}
        </div>
      </fieldset>
      <div className="flex flex-col gap-1">
        <label htmlFor={`${id}-note`} className="text-xs font-medium text-slate-600">
          Note
        </label>
        <textarea
          id={`${id}-note`}
          value={note}
          onChange={(e) => setNote(e.target.value)}
          rows={3}
          aria-describedby={`${id}-count`}
          aria-invalid={tooLong}
          placeholder="What was done, who owns it, links to tickets…"
          className="rounded-md border border-slate-300 px-2 py-1.5 text-sm"
        />
        <p id={`${id}-count`} className={`text-xs ${tooLong ? 'text-rose-700' : 'text-slate-500'}`}>
          {note.length} / {NOTE_MAX} characters{tooLong ? ': too long' : ''}
        </p>
      </div>
      <div className="flex items-center gap-3">
        <Button type="submit" disabled={!changed || tooLong || mutation.isPending}>
          {mutation.isPending ? 'Saving…' : 'Save'}
        </Button>
        <p role="status" className="text-xs text-slate-600">
          {mutation.isSuccess && !changed ? 'Saved' : ''}
        </p>
      </div>
      {mutation.isError ? <ErrorState title="Could not update the incident" error={mutation.error} /> : null}
    </form>
  );
}
