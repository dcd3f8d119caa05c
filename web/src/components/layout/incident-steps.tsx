import { NavLink } from 'react-router';
import { paths } from '@/lib/paths';

type IncidentStepsProps = { id: string };

const steps = [
  { label: 'Incident', to: paths.incident.to },
  { label: 'Root cause', to: paths.rca.to },
  { label: 'Recommendations', to: paths.recommendations.to },
] as const;

/** The three views of one incident, in the order an operator works through them. */
export function IncidentSteps({ id }: IncidentStepsProps) {
  return (
    <nav aria-label={`Incident ${id}`} className="border-b border-slate-200">
      <ol className="-mb-px flex gap-6 overflow-x-auto">
        {steps.map((step, index) => (
          <li key={step.label}>
            <NavLink
              to={step.to(id)}
              end
              className={({ isActive }) =>
                `inline-flex items-center gap-2 border-b-2 px-1 py-3 text-sm font-medium whitespace-nowrap ${
                  isActive
                    ? 'border-indigo-600 text-indigo-700'
                    : 'border-transparent text-slate-500 hover:border-slate-300 hover:text-slate-700'
                }`
              }
            >
              <span
                aria-hidden="true"
                className="flex size-5 items-center justify-center rounded-full bg-slate-100 text-xs text-slate-600"
              >
                {index + 1}
              </span>
              {step.label}
            </NavLink>
          </li>
        ))}
      </ol>
    </nav>
  );
}
