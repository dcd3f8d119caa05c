// End-to-end smoke test: the real `cxagent serve` serving the built dashboard,
// driven by Debian's Chromium through playwright-core.
//
//   CXAGENT_BIN=../build/cxagent CXAGENT_DATA=../data/small npm run e2e
//
// Also checks the API documentation page at /api/docs (dist/docs.html, Swagger UI): the
// operations of /api/openapi.json, try-it-out, nothing fetched from elsewhere, and, against a
// second server started with --token, the token form and the token sent by try-it-out.
//
// Env: CXAGENT_BIN (server binary, required), CXAGENT_DATA (data folder,
// required), E2E_OUT_DIR (screenshot folder, default ../build from web/).
// Needs `npm run build` first. Exits 0 when every check passes, 1 otherwise;
// the server and the browser are stopped in every case.

import { join } from 'node:path';
import { check, E2eError, runAndExit, WEB_DIR, withServerAndBrowser } from './harness.mjs';

/**
 * The first wait after opening /api/docs: Swagger UI is a 1.5 MB script, and on a loaded
 * 2-core machine headless Chromium took 17 s to fetch and run it once.
 */
const DOCS_LOAD_TIMEOUT_MS = 45_000;

/** The token of the second server, started with `--token`. */
const TOKEN = 'e2e-docs-token';

/**
 * Records every http(s) request the page makes to another origin than the server's.
 * @param {import('playwright-core').Page} tab
 * @param {string} baseUrl
 */
function watchOrigins(tab, baseUrl) {
  const origin = new URL(baseUrl).origin;
  /** @type {Set<string>} */
  const offOrigin = new Set();
  tab.on('request', (request) => {
    const url = new URL(request.url());
    if ((url.protocol === 'http:' || url.protocol === 'https:') && url.origin !== origin) offOrigin.add(request.url());
  });
  return offOrigin;
}

/**
 * Waits until Swagger UI shows exactly the operations of `spec`, as `METHOD path`.
 * @param {import('playwright-core').Page} tab
 * @param {any} spec
 */
async function expectOperations(tab, spec) {
  const expected = Object.entries(spec.paths)
    .flatMap(([path, item]) => Object.keys(/** @type {object} */ (item)).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
  const blocks = tab.locator('.swagger-ui .opblock');
  await blocks.first().waitFor();
  const shown = (
    await blocks.evaluateAll((nodes) =>
      nodes.map(
        (n) =>
          `${n.querySelector('.opblock-summary-method')?.textContent} ${n.querySelector('.opblock-summary-path')?.getAttribute('data-path')}`,
      ),
    )
  ).sort();
  if (JSON.stringify(shown) !== JSON.stringify(expected)) {
    throw new E2eError(`the page shows ${JSON.stringify(shown)}, the document has ${JSON.stringify(expected)}`);
  }
}

/**
 * Expands GET /api/health in Swagger UI, clicks "Try it out" and "Execute", and reads the answer.
 * @param {import('playwright-core').Page} tab
 */
async function tryHealth(tab) {
  const operation = tab
    .locator('.swagger-ui .opblock-get')
    .filter({ has: tab.locator('.opblock-summary-path[data-path="/api/health"]') });
  if (!(await operation.locator('.opblock-body').count())) {
    await operation.getByRole('button', { name: /\/api\/health/ }).first().click();
  }
  await operation.getByRole('button', { name: 'Try it out' }).click();
  await operation.getByRole('button', { name: 'Execute' }).click();
  const status = operation.locator('.live-responses-table .response .response-col_status');
  await status.waitFor();
  const body = (await operation.locator('.live-responses-table .response .response-col_description pre').first().textContent()) ?? '';
  return { status: Number((await status.textContent())?.trim()), body };
}

async function main() {
  const outDir = process.env.E2E_OUT_DIR || join(WEB_DIR, '..', 'build');
  await withServerAndBrowser(
    { script: 'e2e/smoke.e2e.mjs', outDir, pages: ['index.html', 'docs.html'] },
    async ({ baseUrl, page: tab, pageErrors }) => {
      const offOrigin = watchOrigins(tab, baseUrl);
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

      await check('the header\'s "API docs" link loads /api/docs (Swagger UI) from the server', async () => {
        await tab.goto(`${baseUrl}/`);
        await tab.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API docs' }).click();
        await tab.waitForURL(`${baseUrl}/api/docs`);
        await tab.locator('.swagger-ui .info .title').filter({ hasText: 'cxagent API' }).waitFor({ timeout: DOCS_LOAD_TIMEOUT_MS });
      });

      await check('/api/docs lists every operation of /api/openapi.json and the Error schema', async () => {
        const spec = await (await fetch(`${baseUrl}/api/openapi.json`)).json();
        await expectOperations(tab, spec);
        await tab.locator('.swagger-ui .models').getByText('Error', { exact: true }).waitFor();
      });

      await check('/api/docs tries GET /api/health out against the server', async () => {
        const { status, body } = await tryHealth(tab);
        if (status !== 200) throw new E2eError(`the response status reads ${status}, not 200`);
        if (!body.includes('"status": "ok"')) throw new E2eError(`the response body is ${body.slice(0, 200)}`);
      });

      const docsShot = join(outDir, 'e2e-docs.png');
      await check(`screenshot of the API docs saved to ${docsShot}`, async () => {
        await tab.screenshot({ path: docsShot, fullPage: true });
      });

      await check('no script errors on any page', async () => {
        if (pageErrors.length) throw new E2eError(`page errors: ${pageErrors.join('; ')}`);
      });

      await check('the pages requested nothing outside the server (no CDN, no web fonts)', async () => {
        if (offOrigin.size) throw new E2eError(`requests to other origins: ${[...offOrigin].join(', ')}`);
      });
    },
  );

  await withServerAndBrowser(
    { script: 'e2e/smoke.e2e.mjs', outDir, pages: ['docs.html'], token: TOKEN },
    async ({ baseUrl, page: tab, pageErrors }) => {
      const offOrigin = watchOrigins(tab, baseUrl);
      await check('/api/docs on a server with --token asks for the token with the server\'s message', async () => {
        const response = await tab.goto(`${baseUrl}/api/docs`, { waitUntil: 'commit' });
        if (!response?.ok()) throw new E2eError(`GET /api/docs answered HTTP ${response?.status()}`);
        const form = tab.getByRole('form', { name: 'Bearer token' });
        await form.waitFor({ timeout: DOCS_LOAD_TIMEOUT_MS });
        const message = (await form.getByRole('alert').textContent()) ?? '';
        if (!message.includes("requires 'Authorization: Bearer <token>'")) {
          throw new E2eError(`the token form says "${message}", not the server's 401 message`);
        }
      });

      await check('with the token entered, /api/docs lists every operation and shows it authorized', async () => {
        const form = tab.getByRole('form', { name: 'Bearer token' });
        await form.getByLabel('Bearer token').fill(TOKEN);
        await form.getByRole('button', { name: 'Authorize' }).click();
        const spec = await (await fetch(`${baseUrl}/api/openapi.json`, { headers: { Authorization: `Bearer ${TOKEN}` } })).json();
        await expectOperations(tab, spec);
        await tab.locator('.swagger-ui .auth-wrapper .authorize.locked').waitFor();
        if (await form.isVisible()) throw new E2eError('the token form is still shown after the document loaded');
      });

      await check('try-it-out sends the token: GET /api/health answers 200 with Authorization: Bearer', async () => {
        const sent = tab.waitForRequest((request) => new URL(request.url()).pathname === '/api/health');
        const { status } = await tryHealth(tab);
        const authorization = (await sent).headers()['authorization'];
        if (authorization !== `Bearer ${TOKEN}`) throw new E2eError(`GET /api/health was sent with Authorization ${JSON.stringify(authorization)}`);
        if (status !== 200) throw new E2eError(`the response status reads ${status}, not 200`);
      });

      await check('a reload keeps the token for the tab: the operations show without asking again', async () => {
        await tab.reload({ waitUntil: 'commit' });
        await tab.locator('.swagger-ui .opblock').first().waitFor({ timeout: DOCS_LOAD_TIMEOUT_MS });
        if (await tab.getByRole('form', { name: 'Bearer token' }).isVisible()) throw new E2eError('the token form is shown again');
      });

      const tokenShot = join(outDir, 'e2e-docs-token.png');
      await check(`screenshot of the API docs with a token saved to ${tokenShot}`, async () => {
        await tab.screenshot({ path: tokenShot, fullPage: true });
      });

      await check('no script errors and nothing requested outside the server', async () => {
        if (pageErrors.length) throw new E2eError(`page errors: ${pageErrors.join('; ')}`);
        if (offOrigin.size) throw new E2eError(`requests to other origins: ${[...offOrigin].join(', ')}`);
      });
    },
  );
}

await runAndExit(main);
