/// <reference types="vitest/config" />
import { fileURLToPath, URL } from 'node:url';
import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run dev` forwards /api to a running `cxagent serve` (override with CXAGENT_API_URL).
const apiTarget = process.env.CXAGENT_API_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react(), tailwindcss()],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  server: {
    proxy: { '/api': { target: apiTarget, changeOrigin: true } },
  },
  // Absolute asset URLs: docs.html is served at /api/docs, so relative ones would point under /api/.
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Two pages sharing hashed chunks under dist/assets/: the dashboard and the API docs.
    rolldownOptions: {
      input: {
        main: fileURLToPath(new URL('./index.html', import.meta.url)),
        docs: fileURLToPath(new URL('./docs.html', import.meta.url)),
      },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['./src/testing/setup-tests.ts'],
    restoreMocks: true,
    // `make test` runs these on 2 cores that other steps may be using: a page test that needs more
    // than vitest's 5 s there is slow, not wrong (a stuck test still fails, after 30 s).
    testTimeout: 30_000,
  },
});
