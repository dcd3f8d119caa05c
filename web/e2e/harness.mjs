// What the end-to-end scripts share: the real `cxagent serve` on a free port,
// Debian's Chromium through playwright-core, named checks with a pass/fail
// count, and a run wrapper that always stops the server and the browser.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const WEB_ROOT = join(WEB_DIR, 'dist');
export const CHROMIUM = '/usr/bin/chromium';
export const SERVER_START_TIMEOUT_MS = 20_000;
export const PAGE_TIMEOUT_MS = 15_000;
export const CHROMIUM_ARGS = [
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
export class E2eError extends Error {}

/** Checks run so far. */
export const results = { passed: 0, failed: 0 };

/**
 * Runs one named check; a failing check is counted and stops the run.
 * @template T
 * @param {string} name
 * @param {() => Promise<T>} fn
 * @returns {Promise<T>}
 */
export async function check(name, fn) {
  try {
    const result = await fn();
    results.passed += 1;
    console.log(`  ok   ${name}`);
    return result;
  } catch (error) {
    results.failed += 1;
    console.log(`  FAIL ${name}`);
    throw error;
  }
}

/**
 * @param {string} name
 * @param {string} script the script to name in the message
 */
export function requireEnv(name, script) {
  const value = process.env[name];
  if (!value) throw new E2eError(`${name} is not set (see the top of ${script})`);
  return value;
}

/** A port nobody listens on right now, from the kernel. */
export function freePort() {
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

export const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The last lines of what the server wrote, for failure messages.
 * @param {string} text
 */
export function tail(text, lines = 30) {
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
 * @param {string[]} [extraArgs] more `serve` options, e.g. `--token`
 * @returns {Server}
 */
export function startServer(bin, data, port, extraArgs = []) {
  const args = ['serve', '--data', data, '--host', '127.0.0.1', '--port', String(port), '--web-root', WEB_ROOT, ...extraArgs];
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
 * @param {Record<string, string>} [headers] e.g. the bearer token of a server started with `--token`
 */
export async function waitForHealth(server, baseUrl, headers = {}) {
  const deadline = Date.now() + SERVER_START_TIMEOUT_MS;
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    if (server.exited) {
      throw new E2eError(`the server ${server.exited} before answering; its output:\n${tail(server.output)}`);
    }
    try {
      const response = await fetch(`${baseUrl}/api/health`, { headers, signal: AbortSignal.timeout(2_000) });
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
export async function stopServer(server) {
  if (!server || server.exited || server.child.exitCode !== null) return;
  const gone = new Promise((r) => server.child.once('exit', r));
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 3_000);
  await gone;
  clearTimeout(timer);
}

/**
 * Checks the environment and the build, then hands `body` a running server
 * and a browser tab; stops both whatever happens, with a screenshot of the
 * page at a failure.
 * @param {object} options
 * @param {string} options.script this script, for messages
 * @param {string} options.outDir where screenshots go
 * @param {string[]} [options.pages] built pages that must exist in dist/
 * @param {string} [options.token] start the server with `--token` this token
 * @param {(run: { baseUrl: string, page: import('playwright-core').Page, pageErrors: string[], health: any }) => Promise<void>} body
 */
export async function withServerAndBrowser({ script, outDir, pages = ['index.html'], token }, body) {
  const bin = resolve(requireEnv('CXAGENT_BIN', script));
  const data = resolve(requireEnv('CXAGENT_DATA', script));
  if (!existsSync(bin)) throw new E2eError(`CXAGENT_BIN ${bin} does not exist`);
  if (!existsSync(data)) throw new E2eError(`CXAGENT_DATA ${data} does not exist`);
  for (const page of pages) {
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
    const started = startServer(bin, data, port, token ? ['--token', token] : []);
    server = started;
    const health = await check(`server${token ? ' (with --token)' : ''} answers GET /api/health with status ok`, async () => {
      const answer = await waitForHealth(started, baseUrl, token ? { Authorization: `Bearer ${token}` } : {});
      if (answer?.status !== 'ok') throw new E2eError(`health status is ${JSON.stringify(answer?.status)}, not "ok"`);
      return answer;
    });
    console.log(`e2e: server up at ${baseUrl}: ${JSON.stringify(health)}`);

    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1366, height: 900 },
      acceptDownloads: true,
      timeout: 30_000,
    });
    const tab = context.pages()[0] ?? (await context.newPage());
    page = tab;
    tab.setDefaultTimeout(PAGE_TIMEOUT_MS);
    /** @type {string[]} */
    const pageErrors = [];
    tab.on('pageerror', (error) => pageErrors.push(error.message));

    await body({ baseUrl, page: tab, pageErrors, health });
  } catch (error) {
    // What the browser showed when it failed is the quickest diagnosis.
    if (page && !page.isClosed()) {
      const failureShot = join(outDir, 'e2e-failure.png');
      await page
        .screenshot({ path: failureShot, fullPage: true })
        .then(() => console.error(`e2e: the page at failure is in ${failureShot}`))
        .catch(() => {});
    }
    if (server && !server.exited) console.error(`e2e: server output so far:\n${tail(server.output, 15)}`);
    throw error;
  } finally {
    await context?.close().catch(() => {});
    await stopServer(server);
    rmSync(profile, { recursive: true, force: true });
    process.removeListener('SIGINT', stopOnSignal);
    process.removeListener('SIGTERM', stopOnSignal);
  }
}

/**
 * Runs `main`, prints "e2e: N passed, M failed" and exits 0 only when every check passed.
 * @param {() => Promise<void>} main
 */
export async function runAndExit(main) {
  let exitCode = 0;
  try {
    await main();
  } catch (error) {
    exitCode = 1;
    // A failure outside any check (bad env, missing build) still counts as one.
    if (results.failed === 0) results.failed = 1;
    const message = error instanceof E2eError ? error.message : error instanceof Error ? error.stack : String(error);
    console.error(`e2e: FAILED: ${message}`);
  }
  if (exitCode === 0 && results.failed > 0) exitCode = 1;
  console.log(`e2e: ${results.passed} passed, ${results.failed} failed`);
  process.exit(exitCode);
}
