/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Where the API lives when it is not on the dashboard's own origin. */
  readonly VITE_API_BASE_URL?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
