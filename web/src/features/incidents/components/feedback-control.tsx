import { useId, useState, type FormEvent } from 'react';
import { Button } from '@/components/ui/button';
import { ErrorState } from '@/components/ui/error-state';
import { useIncidentFeedback } from '@/features/incidents/api/update-feedback';
import { NOTE_MAX } from '@/features/incidents/components/status-control';
import { formatTimestamp } from '@/lib/format';
import type { FeedbackLabel, IncidentSummary } from '@/types/api';

export const BY_MAX = 100;

export const LABELS: { value: FeedbackLabel; label: string; hint: string }[] = [
  { value: 'confirmed', label: 'Confirmed', hint: 'A real regression worth the alert' },
  { value: 'false_alarm', label: 'False alarm', hint: 'Nothing regressed; mutes the slice for this window' },
  { value: 'expected', label: 'Expected', hint: 'Planned (a promotion, a holiday); mutes the slice for this window' },
  { value: 'duplicate', label: 'Duplicate', hint: 'Already reported by another incident' },
];

const labelName = (value: FeedbackLabel) => LABELS.find((option) => option.value === value)?.label ?? value;

/** Why notifications about this incident are muted, and by which label. */
function MutedNotice({ incident }: { incident: IncidentSummary }) {
  const by = incident.muted_by;
  if (!by) return null;
  const own = by.slice_text === incident.slice_text && by.start_date === incident.start_date;
  const window = by.end_date ? `${by.start_date} – ${by.end_date}` : `from ${by.start_date} while it is open`;
  return (
    <p role="note" className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-xs text-amber-900">
      Notifications muted: {own ? 'this incident is' : `an incident of ${by.slice_text} was`} labelled{' '}
      <strong>{labelName(by.label)}</strong> by {by.by} ({window}).
    </p>
  );
}

/**
 * What the team says the incident was (`PUT`/`DELETE /api/incidents/{id}/feedback`):
 * a label with who gave it and a note, separate from the triage status.
 */
export function FeedbackControl({ incident }: { incident: IncidentSummary }) {
  const id = useId();
  const mutation = useIncidentFeedback(incident.id);
  const current = incident.feedback;
  const [label, setLabel] = useState<FeedbackLabel | ''>(current?.label ?? '');
  const [by, setBy] = useState(current?.by ?? '');
  const [note, setNote] = useState(current?.note ?? '');

  const changed = label !== (current?.label ?? '') || by !== (current?.by ?? '') || note !== (current?.note ?? '');
  const missingBy = by.trim() === '';
  const invalid = label === '' || missingBy || by.length > BY_MAX || note.length > NOTE_MAX;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!changed || invalid) return;
    mutation.mutate({ label, by: by.trim(), note });
  };
  // The page remounts this form with the saved label (its key is the label's time).
  const remove = () => mutation.mutate(null);

  return (
    <form onSubmit={submit} aria-label="Feedback" className="flex flex-col gap-3">
      <MutedNotice incident={incident} />
      {current ? (
        <p className="text-xs text-slate-600">
          Labelled <strong className="text-slate-900">{labelName(current.label)}</strong> by {current.by} on{' '}
          {formatTimestamp(current.updated_at)}
        </p>
      ) : (
        <p className="text-xs text-slate-600">Not labelled yet: was this a real regression?</p>
      )}
      <fieldset>
        <legend className="text-xs font-medium text-slate-600">Label</legend>
        <div className="mt-1 flex flex-wrap gap-2">
          {LABELS.map((option) => (
            <label
              key={option.value}
              title={option.hint}
              className={`flex cursor-pointer items-center gap-2 rounded-lg border px-3 py-1.5 text-sm has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-indigo-600 ${
                label === option.value ? 'border-indigo-600 bg-indigo-50 text-indigo-900' : 'border-slate-300 bg-white text-slate-700'
              }`}
            >
              <input
                type="radio"
                name={`${id}-label`}
                value={option.value}
                checked={label === option.value}
                onChange={() => setLabel(option.value)}
                className="accent-indigo-600"
              />
              {option.label}
            </label>
          ))}
        </div>
      </fieldset>
      <div className="flex flex-col gap-1">
        <label htmlFor={`${id}-by`} className="text-xs font-medium text-slate-600">
          Your name
        </label>
        <input
          id={`${id}-by`}
          value={by}
          onChange={(e) => setBy(e.target.value)}
          maxLength={BY_MAX}
          aria-invalid={label !== '' && missingBy}
          className="rounded-md border border-slate-300 px-2 py-1.5 text-sm"
        />
      </div>
      <div className="flex flex-col gap-1">
        <label htmlFor={`${id}-note`} className="text-xs font-medium text-slate-600">
          Why
        </label>
        <textarea
          id={`${id}-note`}
          value={note}
          onChange={(e) => setNote(e.target.value)}
          rows={2}
          aria-invalid={note.length > NOTE_MAX}
          placeholder="The promotion, the ticket, the incident it duplicates…"
          className="rounded-md border border-slate-300 px-2 py-1.5 text-sm"
        />
      </div>
      <div className="flex items-center gap-3">
        <Button type="submit" disabled={!changed || invalid || mutation.isPending}>
          {mutation.isPending ? 'Saving…' : 'Save label'}
        </Button>
        {current ? (
          <Button type="button" variant="secondary" onClick={remove} disabled={mutation.isPending}>
            Remove label
          </Button>
        ) : null}
      </div>
      {mutation.isError ? <ErrorState title="Could not save the label" error={mutation.error} /> : null}
    </form>
  );
}
