import type { ReactNode } from 'react';
import { Link } from 'react-router';

type LinkButtonProps = {
  to: string;
  children: ReactNode;
  variant?: 'primary' | 'secondary';
};

const variants = {
  primary: 'bg-indigo-600 text-white hover:bg-indigo-500',
  secondary: 'border border-slate-300 bg-white text-slate-700 hover:bg-slate-50',
} as const;

/** An in-app link styled as a button, for the next step in a flow. */
export function LinkButton({ to, children, variant = 'primary' }: LinkButtonProps) {
  return (
    <Link
      to={to}
      className={`inline-flex items-center gap-1.5 rounded-lg px-3.5 py-2 text-sm font-semibold shadow-sm transition-[color,background-color,border-color] ${variants[variant]}`}
    >
      {children}
    </Link>
  );
}
