/**
 * Every dashboard route in one place (interfaces.md §6), so pages link to
 * each other without features importing each other.
 */
export const paths = {
  dashboard: { pattern: '/', to: () => '/' },
  incident: { pattern: '/incidents/:id', to: (id: string) => `/incidents/${encodeURIComponent(id)}` },
  rca: { pattern: '/rca/:id', to: (id: string) => `/rca/${encodeURIComponent(id)}` },
  recommendations: {
    pattern: '/recommendations/:id',
    to: (id: string) => `/recommendations/${encodeURIComponent(id)}`,
  },
  /** Served by `cxagent serve`, outside the single-page app. */
  apiDocs: '/api/docs',
} as const;
