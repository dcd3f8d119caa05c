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

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WEB_ROOT = join(WEB_DIR, 'dist');
const CHROMIUM = '/usr/bin/chromium';
const SERVER_START_TIMEOUT_MS = 20_000;
const PAGE_TIMEOUT_MS = 15_000;
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

/** Thrown for a failure whose message is the whole story (no stack needed). */
class E2eError extends Error {}

let passed = 0;
let failed = 0;

/**
 * Runs one named check; a failing check is counted and stops the run.
 * @template T
 * @param {string} name
 * @param {() => Promise<T>} fn
 * @returns {Promise<T>}
 */
async function check(name, fn) {
  try {
    const result = await fn();
    passed += 1;
    console.log(`  ok   ${name}`);
    return result;
  } catch (error) {
    failed += 1;
    console.log(`  FAIL ${name}`);
    throw error;
  }
}

/** @param {string} name */
function requireEnv(name) {
  const value = process.env[name];
  if (!value) throw new E2eError(`${name} is not set (see the top of e2e/smoke.e2e.mjs)`);
  return value;
}

/** A port nobody listens on right now, from the kernel. */
function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The last lines of what the server wrote, for failure messages.
 * @param {string} text
 */
function tail(text, lines = 30) {
  const all = text.trimEnd().split('\n');
  return all.slice(-lines).join('\n') || '(nothing)';
}

/**
 * @typedef {object} Server
 * @property {import('node:child_process').ChildProcess} child
 * @property {string} output everything it wrote to stdout and stderr
 * @property {string | null} exited how it ended, once it has
 */

/**
 * Starts `cxagent serve` and keeps its output for diagnosis.
 * @param {string} bin
 * @param {string} data
 * @param {number} port
 * @returns {Server}
 */
function startServer(bin, data, port) {
  const args = ['serve', '--data', data, '--host', '127.0.0.1', '--port', String(port), '--web-root', WEB_ROOT];
  console.log(`e2e: ${bin} ${args.join(' ')}`);
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  /** @type {Server} */
  const server = { child, output: '', exited: null };
  child.stdout.on('data', (chunk) => (server.output += chunk));
  child.stderr.on('data', (chunk) => (server.output += chunk));
  child.on('error', (error) => (server.exited = `could not start: ${error.message}`));
  child.on('exit', (code, signal) => (server.exited = signal ? `killed by ${signal}` : `exited with code ${code}`));
  return server;
}

/**
 * Polls /api/health until it answers 200, the server exits, or time runs out.
 * @param {Server} server
 * @param {string} baseUrl
 */
async function waitForHealth(server, baseUrl) {
  const deadline = Date.now() + SERVER_START_TIMEOUT_MS;
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    if (server.exited) {
      throw new E2eError(`the server ${server.exited} before answering; its output:\n${tail(server.output)}`);
    }
    try {
      const response = await fetch(`${baseUrl}/api/health`, { signal: AbortSignal.timeout(2_000) });
      const body = await response.text();
      if (response.ok) return JSON.parse(body);
      lastError = `HTTP ${response.status}: ${body.slice(0, 200)}`;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await sleep(200);
  }
  throw new E2eError(
    `GET /api/health did not answer 200 within ${SERVER_START_TIMEOUT_MS / 1000} s (last: ${lastError}); server output:\n${tail(server.output)}`,
  );
}

/**
 * SIGTERM, then SIGKILL if the server does not go within 3 s.
 * @param {Server | undefined} server
 */
async function stopServer(server) {
  if (!server || server.exited || server.child.exitCode !== null) return;
  const gone = new Promise((r) => server.child.once('exit', r));
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 3_000);
  await gone;
  clearTimeout(timer);
}

async function main() {
  const bin = resolve(requireEnv('CXAGENT_BIN'));
  const data = resolve(requireEnv('CXAGENT_DATA'));
  const outDir = resolve(process.env.E2E_OUT_DIR || join(WEB_DIR, '..', 'build'));
  if (!existsSync(bin)) throw new E2eError(`CXAGENT_BIN ${bin} does not exist`);
  if (!existsSync(data)) throw new E2eError(`CXAGENT_DATA ${data} does not exist`);
  for (const page of ['index.html', 'docs.html']) {
    if (!existsSync(join(WEB_ROOT, page))) {
      throw new E2eError(`${WEB_ROOT}/${page} is missing: run \`npm run build\` first`);
    }
  }
  if (!existsSync(CHROMIUM)) throw new E2eError(`${CHROMIUM} is missing: apt-get install chromium`);

  mkdirSync(outDir, { recursive: true });
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  /** @type {Server | undefined} */
  let server;
  /** @type {import('playwright-core').BrowserContext | undefined} */
  let context;
  /** @type {import('playwright-core').Page | undefined} */
  let page;
  const profile = mkdtempSync(join(tmpdir(), 'cxagent-e2e-chromium-'));
  const stopOnSignal = () => {
    // Ctrl-C or a CI timeout: take the server down with us.
    server?.child.kill('SIGKILL');
    process.exit(1);
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);

  try {
    const started = startServer(bin, data, port);
    server = started;
    const health = await check('server answers GET /api/health with status ok', async () => {
      const body = await waitForHealth(started, baseUrl);
      if (body?.status !== 'ok') throw new E2eError(`health status is ${JSON.stringify(body?.status)}, not "ok"`);
      return body;
    });
    console.log(`e2e: server up at ${baseUrl}: ${JSON.stringify(health)}`);

    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1366, height: 900 },
      timeout: 30_000,
    });
    const tab = context.pages()[0] ?? (await context.newPage());
    page = tab;
    tab.setDefaultTimeout(PAGE_TIMEOUT_MS);
    /** @type {string[]} */
    const pageErrors = [];
    tab.on('pageerror', (error) => pageErrors.push(error.message));

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
  } catch (error) {
    // What the browser showed when it failed is the quickest diagnosis.
    if (page && !page.isClosed()) {
      const failureShot = join(outDir, 'e2e-failure.png');
      await page
        .screenshot({ path: failureShot, fullPage: true })
        .then(() => console.error(`e2e: the page at failure is in ${failureShot}`))
        .catch(() => {});
    }
    throw error;
  } finally {
    await context?.close().catch(() => {});
    await stopServer(server);
    rmSync(profile, { recursive: true, force: true });
    process.removeListener('SIGINT', stopOnSignal);
    process.removeListener('SIGTERM', stopOnSignal);
  }
}

let exitCode = 0;
try {
  await main();
} catch (error) {
  exitCode = 1;
  // A failure outside any check (bad env, missing build) still counts as one.
  if (failed === 0) failed = 1;
  const message = error instanceof E2eError ? error.message : error instanceof Error ? error.stack : String(error);
  console.error(`e2e: FAILED: ${message}`);
}
if (exitCode === 0 && failed > 0) exitCode = 1;
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(exitCode);
