// End-to-end smoke test: the real `cxagent serve` serving the built dashboard,
// driven by Debian's Chromium through playwright-core.
//
//   CXAGENT_BIN=../build/cxagent CXAGENT_DATA=../data/small npm run e2e
//
// Also checks the API documentation page at /api/docs (dist/docs.html).
//
// Env: CXAGENT_BIN (server binary, required), CXAGENT_DATA (data folder,
// required), E2E_OUT_DIR (screenshot folder, default ../build from web/).
// Needs `npm run build` first. Exits 0 when every check passes, 1 otherwise;
// the server and the browser are stopped in every case.

import { join } from 'node:path';
import { check, E2eError, runAndExit, WEB_DIR, withServerAndBrowser } from './harness.mjs';

async function main() {
  const outDir = process.env.E2E_OUT_DIR || join(WEB_DIR, '..', 'build');
  await withServerAndBrowser(
    { script: 'e2e/smoke.e2e.mjs', outDir, pages: ['index.html', 'docs.html'] },
    async ({ baseUrl, page: tab, pageErrors }) => {
      await check('/ shows the dashboard and the header reads "API ok"', async () => {
        const response = await tab.goto(`${baseUrl}/`);
        if (!response?.ok()) throw new E2eError(`GET / answered HTTP ${response?.status()}`);
        const healthText = tab.getByTestId('health');
        await healthText.filter({ hasText: 'API ok' }).waitFor().catch(async () => {
          throw new E2eError(`[data-testid=health] reads "${await healthText.textContent()}", not "API ok…"`);
        });
        await tab.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
        console.log(`e2e: header reads "${await healthText.textContent()}"`);
      });

      const screenshot = join(outDir, 'e2e-home.png');
      await check(`screenshot saved to ${screenshot}`, async () => {
        await tab.screenshot({ path: screenshot, fullPage: true });
      });

      await check('deep link /incidents/INC-0001 loads through the SPA fallback', async () => {
        const response = await tab.goto(`${baseUrl}/incidents/INC-0001`);
        if (!response?.ok()) throw new E2eError(`GET /incidents/INC-0001 answered HTTP ${response?.status()}`);
        await tab.getByRole('heading', { level: 1, name: 'Incident INC-0001' }).waitFor();
      });

      await check('the incident page links on to its root cause analysis', async () => {
        await tab.getByRole('link', { name: 'Root cause analysis →' }).click();
        await tab.waitForURL(`${baseUrl}/rca/INC-0001`);
        await tab.getByRole('heading', { level: 1, name: 'Root cause of INC-0001' }).waitFor();
      });

      await check('an unknown path shows the 404 page', async () => {
        const response = await tab.goto(`${baseUrl}/no/such/page`);
        if (!response?.ok()) throw new E2eError(`GET /no/such/page answered HTTP ${response?.status()}`);
        await tab.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
      });

      await check('unknown API paths answer a JSON error, not the dashboard', async () => {
        const response = await fetch(`${baseUrl}/api/no-such-endpoint`);
        const body = await response.text();
        if (response.status !== 404) throw new E2eError(`answered HTTP ${response.status}, not 404: ${body.slice(0, 200)}`);
        const parsed = JSON.parse(body);
        if (typeof parsed?.error?.code !== 'string' || typeof parsed?.error?.message !== 'string') {
          throw new E2eError(`body is not the error envelope: ${body.slice(0, 200)}`);
        }
      });

      await check('the header\'s "API docs" link loads /api/docs from the server', async () => {
        await tab.goto(`${baseUrl}/`);
        await tab.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API docs' }).click();
        await tab.waitForURL(`${baseUrl}/api/docs`);
        await tab.getByRole('heading', { level: 1, name: 'cxagent API' }).waitFor();
      });

      await check('/api/docs lists the endpoints of /api/openapi.json with the shared error shape', async () => {
        const spec = await (await fetch(`${baseUrl}/api/openapi.json`)).json();
        const expected = Object.entries(spec.paths).flatMap(([path, item]) =>
          Object.keys(/** @type {object} */ (item)).map((method) => `${method.toUpperCase()} ${path}`),
        );
        const shown = await tab.getByRole('article').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('aria-label')));
        if (JSON.stringify([...shown].sort()) !== JSON.stringify([...expected].sort())) {
          throw new E2eError(`the page shows ${JSON.stringify(shown)}, the document has ${JSON.stringify(expected)}`);
        }
        await tab.getByRole('region', { name: 'Errors' }).getByText('message', { exact: true }).waitFor();
      });

      await check('/api/docs tries GET /api/health out against the server', async () => {
        const operation = tab.getByRole('article', { name: 'GET /api/health' });
        await operation.getByRole('button', { name: /\/api\/health/ }).click();
        await operation.getByRole('button', { name: 'Try it out' }).click();
        await operation.getByRole('button', { name: 'Send' }).click();
        const status = operation.getByTestId('response-status');
        await status.filter({ hasText: '200' }).waitFor().catch(async () => {
          throw new E2eError(`the response status reads "${await status.textContent()}", not 200`);
        });
        const body = (await operation.getByTestId('response-body').textContent()) ?? '';
        if (JSON.parse(body)?.status !== 'ok') throw new E2eError(`the response body is ${body.slice(0, 200)}`);
      });

      const docsShot = join(outDir, 'e2e-docs.png');
      await check(`screenshot of the API docs saved to ${docsShot}`, async () => {
        await tab.screenshot({ path: docsShot, fullPage: true });
      });

      await check('no script errors on any page', async () => {
        if (pageErrors.length) throw new E2eError(`page errors: ${pageErrors.join('; ')}`);
      });
    },
  );
}

await runAndExit(main);
