import { useEffect, useId, useRef, useState } from 'react';
import { ErrorState } from '@/components/ui/error-state';
import { EfficiencyList, formatParams } from '@/features/recommendations/components/action-cards';
import { formatInterval } from '@/lib/interval';
import type { Efficiency, ParamValue, Recommendation, Tradeoff, WhatIfRequest, WhatIfResult } from '@/types/api';

/** Wait this long after the last move before asking the server, so dragging a slider sends one request. */
export const WHATIF_DEBOUNCE_MS = 300;

type WhatIfState = {
  isPending: boolean;
  isError: boolean;
  error: Error | null;
  data: WhatIfResult | undefined;
};

type WhatIfPanelProps = {
  recommendations: Recommendation[];
  tradeoffs: Tradeoff[];
  baseline?: Efficiency | null;
  onRun: (request: WhatIfRequest) => void;
  state: WhatIfState;
};

/** The templates one can simulate, each with the parameters of its best-ranked action as the start. */
function templatesOf(recommendations: Recommendation[], tradeoffs: Tradeoff[]) {
  const start = new Map<string, Record<string, ParamValue>>();
  for (const rec of recommendations) if (!start.has(rec.template)) start.set(rec.template, { ...rec.params });
  for (const sweep of tradeoffs) {
    const params = start.get(sweep.template) ?? {};
    if (!(sweep.param in params) && sweep.points[0]) params[sweep.param] = sweep.points[0].value;
    start.set(sweep.template, params);
  }
  return start;
}

function sweepValues(tradeoffs: Tradeoff[], template: string, param: string): number[] | null {
  const sweep = tradeoffs.find((t) => t.template === template && t.param === param);
  if (!sweep || sweep.points.length === 0) return null;
  return [...new Set(sweep.points.map((p) => p.value))].sort((a, b) => a - b);
}

function SweepSlider({ param, values, value, onChange }: { param: string; values: number[]; value: number; onChange: (v: number) => void }) {
  const id = useId();
  // The slider moves over the swept values; a starting value between them snaps to the nearest.
  let index = values.indexOf(value);
  if (index < 0) {
    index = values.reduce((best, v, i) => (Math.abs(v - value) < Math.abs((values[best] ?? v) - value) ? i : best), 0);
  }
  return (
    <div className="flex flex-col gap-1">
      <div className="flex items-baseline justify-between">
        <label htmlFor={id} className="text-sm font-medium text-slate-700">
          {param}
        </label>
        <output htmlFor={id} className="text-sm font-semibold tabular-nums text-slate-900">
          {value}
        </output>
      </div>
      <input
        id={id}
        type="range"
        min={0}
        max={values.length - 1}
        step={1}
        value={index}
        aria-valuetext={`${param} ${values[index]}`}
        onChange={(e) => onChange(values[Number(e.target.value)] ?? value)}
        className="accent-indigo-600"
      />
      <div className="flex justify-between text-xs text-slate-500 tabular-nums" aria-hidden="true">
        <span>{values[0]}</span>
        <span>{values.at(-1)}</span>
      </div>
    </div>
  );
}

/** One arrow-key step of a free number: a tenth of the value's order of magnitude (0.0023 → 0.0001). */
export function stepFor(value: number): number {
  if (!Number.isFinite(value) || value === 0) return 1;
  return 10 ** (Math.floor(Math.log10(Math.abs(value))) - 1);
}

function NumberParam({ param, value, onChange }: { param: string; value: number; onChange: (v: number) => void }) {
  const id = useId();
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-sm font-medium text-slate-700">
        {param}
      </label>
      <input
        id={id}
        type="number"
        value={value}
        step={stepFor(value)}
        onChange={(e) => {
          const next = e.target.valueAsNumber;
          if (!Number.isNaN(next)) onChange(next);
        }}
        className="w-32 rounded-md border border-slate-300 px-2 py-1 text-sm tabular-nums"
      />
    </div>
  );
}

/** Pick an action template, move its parameters, and see the simulated effect (`POST …/whatif`). */
export function WhatIfPanel({ recommendations, tradeoffs, baseline, onRun, state }: WhatIfPanelProps) {
  const selectId = useId();
  const templates = templatesOf(recommendations, tradeoffs);
  const names = [...templates.keys()];
  const [template, setTemplate] = useState(names[0] ?? '');
  const [params, setParams] = useState<Record<string, ParamValue>>(() => templates.get(names[0] ?? '') ?? {});
  const [touched, setTouched] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const runRef = useRef(onRun);
  useEffect(() => {
    runRef.current = onRun;
  });

  useEffect(() => {
    if (!touched || !template) return;
    clearTimeout(timer.current);
    timer.current = setTimeout(() => runRef.current({ template, params }), WHATIF_DEBOUNCE_MS);
    return () => clearTimeout(timer.current);
  }, [template, params, touched]);

  if (names.length === 0) {
    return <p className="text-sm text-slate-600">No action of this incident has parameters to simulate.</p>;
  }

  const change = (param: string, value: ParamValue) => {
    setParams((prev) => ({ ...prev, [param]: value }));
    setTouched(true);
  };

  const editable = Object.entries(params).filter((entry): entry is [string, number] => typeof entry[1] === 'number');
  const fixed = Object.fromEntries(Object.entries(params).filter(([, v]) => typeof v !== 'number'));

  return (
    <div className="flex flex-col gap-4">
      {names.length > 1 ? (
        <div className="flex flex-col gap-1">
          <label htmlFor={selectId} className="text-xs font-medium text-slate-600">
            Action
          </label>
          <select
            id={selectId}
            value={template}
            onChange={(e) => {
              setTemplate(e.target.value);
              setParams(templates.get(e.target.value) ?? {});
              setTouched(true);
            }}
            className="rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm"
          >
            {names.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </div>
      ) : (
        <p className="text-xs text-slate-600">
          Action <code>{template}</code>
        </p>
      )}
      {editable.length === 0 ? <p className="text-sm text-slate-600">This action has no numeric parameter to move.</p> : null}
      {editable.map(([param, value]) => {
        const values = sweepValues(tradeoffs, template, param);
        return values ? (
          <SweepSlider key={`${template}.${param}`} param={param} values={values} value={value} onChange={(v) => change(param, v)} />
        ) : (
          <NumberParam key={`${template}.${param}`} param={param} value={value} onChange={(v) => change(param, v)} />
        );
      })}
      {Object.keys(fixed).length ? <p className="text-xs text-slate-500">Fixed: {formatParams(fixed)}</p> : null}

      <div role="status" aria-label="Simulation result" aria-live="polite" aria-busy={state.isPending} className="min-h-16 rounded-lg border border-slate-200 bg-slate-50 p-3">
        {state.isPending ? (
          <p className="text-sm text-slate-600">Simulating…</p>
        ) : state.isError ? null : state.data ? (
          <div className="flex flex-col gap-2">
            <p className="text-sm font-medium text-slate-900" data-testid="whatif-action">
              {state.data.action}
            </p>
            <p className="text-sm tabular-nums">
              <span className="text-slate-500">Simulated CX change: </span>
              <span className="font-semibold" data-testid="whatif-cx">
                {formatInterval(state.data.expected_cx_delta)}
              </span>
            </p>
            <EfficiencyList delta={state.data.efficiency_delta} baseline={baseline} />
          </div>
        ) : (
          <p className="text-sm text-slate-600">Move a control to simulate the action with other parameters.</p>
        )}
      </div>
      {state.isError ? <ErrorState title="The simulation failed" error={state.error} /> : null}
    </div>
  );
}
