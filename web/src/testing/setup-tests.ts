import '@testing-library/jest-dom/vitest';
import { cleanup, configure } from '@testing-library/react';
import { afterEach, vi } from 'vitest';

// jsdom has no layout: Recharts' ResponsiveContainer needs a ResizeObserver to exist (it then draws nothing,
// which is why every chart carries its data table and tests read that).
if (!('ResizeObserver' in globalThis)) {
  globalThis.ResizeObserver = class {
    observe() {}
    unobserve() {}
    disconnect() {}
  };
}

// findBy* and waitFor give up after 1 s by default; on a busy machine a page's first render can take longer.
configure({ asyncUtilTimeout: 5_000 });

// React Router's ScrollRestoration scrolls on navigation; jsdom only logs that it cannot.
window.scrollTo = () => {};

// Recharts also warns about its zero size on every render; that says nothing about the code under test.
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].startsWith('The width(0) and height(0) of chart')) return;
  warn(...args);
};

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});
