// What the end-to-end scripts share: the real `cxagent serve` on a free port,
// Debian's Chromium through playwright-core, named checks with a pass/fail
// count, bounded polling, other `cxagent` commands run to completion, a
// watchdog for the whole run, and a run wrapper that always stops the server
// and the browser.

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
 * Polls `probe` every `intervalMs` until it returns something other than undefined, null or
 * false, and returns that; otherwise fails after `timeoutMs` saying what was expected and what
 * `seen` reports was there instead (the last probe's error, if it threw).
 * @template T
 * @param {string} expected what should have happened, e.g. "both channels delivered"
 * @param {() => Promise<T | undefined | null | false> | T | undefined | null | false} probe
 * @param {{ timeoutMs: number, intervalMs?: number, seen?: () => string | Promise<string> }} options
 * @returns {Promise<T>}
 */
export async function waitUntil(expected, probe, { timeoutMs, intervalMs = 250, seen }) {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
      lastError = '';
    } catch (error) {
      if (error instanceof E2eError) throw error;
      lastError = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() >= deadline) break;
    await sleep(intervalMs);
  }
  const state = seen ? await Promise.resolve(seen()).catch((error) => `(could not tell: ${error})`) : '';
  throw new E2eError(
    `expected ${expected} within ${timeoutMs / 1000} s; seen: ${state || '(nothing)'}${lastError ? ` (last error: ${lastError})` : ''}`,
  );
}

/**
 * Fetches JSON from the server; fails naming the request, the status expected and the answer seen.
 * @param {string} url
 * @param {{ method?: string, body?: unknown, headers?: Record<string, string>, expectStatus?: number }} [options]
 * @returns {Promise<any>}
 */
export async function fetchJson(url, { method = 'GET', body, headers = {}, expectStatus = 200 } = {}) {
  const init = /** @type {RequestInit} */ ({ method, headers: { ...headers }, signal: AbortSignal.timeout(10_000) });
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'Content-Type': 'application/json', ...headers };
  }
  const response = await fetch(url, init);
  const text = await response.text();
  if (response.status !== expectStatus) {
    throw new E2eError(`${method} ${url}: expected HTTP ${expectStatus}, got ${response.status}: ${text.slice(0, 300)}`);
  }
  return text ? JSON.parse(text) : null;
}

/**
 * Runs a `cxagent` command (or any program) to completion; fails with its exit and output.
 * @param {string} bin
 * @param {string[]} args
 * @returns {Promise<string>} what it wrote to stdout and stderr
 */
export function runCommand(bin, args) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (error) => reject(new E2eError(`could not run ${bin}: ${error.message}`)));
    child.on('exit', (code, signal) => {
      if (code === 0) resolveRun(output);
      else {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        reject(new E2eError(`\`${bin} ${args.join(' ')}\` ${how}, expected code 0; its output:\n${tail(output)}`));
      }
    });
  });
}

/**
 * Ends the whole run (SIGTERM to this process, which stops the server and browser) when it is
 * not finished within `ms`; call the returned function when done.
 * @param {number} ms
 * @param {string} what the run, for the message
 */
export function startWatchdog(ms, what) {
  const timer = setTimeout(() => {
    console.error(`e2e: FAILED: ${what} did not finish within ${ms / 1000} s`);
    process.kill(process.pid, 'SIGTERM');
  }, ms);
  timer.unref();
  return () => clearTimeout(timer);
}

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
 * SIGTERM, then SIGKILL if the server does not go within `graceMs`.
 * @param {Server | undefined} server
 * @param {number} [graceMs]
 * @returns {Promise<string | null>} how it ended (e.g. "exited with code 0"), null without a server
 */
export async function stopServer(server, graceMs = 3_000) {
  if (!server) return null;
  if (server.exited || server.child.exitCode !== null || server.child.signalCode !== null) return server.exited;
  const gone = new Promise((r) => server.child.once('exit', r));
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
  return server.exited;
}

/**
 * @typedef {object} Browser
 * @property {import('playwright-core').BrowserContext} context
 * @property {import('playwright-core').Page} page its first tab
 * @property {string[]} pageErrors script errors of the page so far
 * @property {() => Promise<void>} close closes the browser and removes its profile
 */

/**
 * Launches Debian's Chromium (headless, a fresh profile) with one tab.
 * @returns {Promise<Browser>}
 */
export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) throw new E2eError(`${CHROMIUM} is missing: apt-get install chromium`);
  const profile = mkdtempSync(join(tmpdir(), 'cxagent-e2e-chromium-'));
  const removeProfile = () => rmSync(profile, { recursive: true, force: true });
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1366, height: 900 },
      acceptDownloads: true,
      timeout: 30_000,
    });
  } catch (error) {
    removeProfile();
    throw error;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(PAGE_TIMEOUT_MS);
  /** @type {string[]} */
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const opened = context;
  return {
    context: opened,
    page,
    pageErrors,
    close: async () => {
      await opened.close().catch(() => {});
      removeProfile();
    },
  };
}

/**
 * Saves a full-page screenshot of the page at a failure into `outDir`, if the page is still open.
 * @param {import('playwright-core').Page | undefined} page
 * @param {string} outDir
 */
export async function screenshotFailure(page, outDir) {
  if (!page || page.isClosed()) return;
  const failureShot = join(outDir, 'e2e-failure.png');
  await page
    .screenshot({ path: failureShot, fullPage: true })
    .then(() => console.error(`e2e: the page at failure is in ${failureShot}`))
    .catch(() => {});
}

/**
 * Fails unless the dashboard build has `pages` and Chromium is installed.
 * @param {string[]} [pages] built pages that must exist in dist/
 */
export function requireBuild(pages = ['index.html']) {
  for (const page of pages) {
    if (!existsSync(join(WEB_ROOT, page))) {
      throw new E2eError(`${WEB_ROOT}/${page} is missing: run \`npm run build\` first`);
    }
  }
  if (!existsSync(CHROMIUM)) throw new E2eError(`${CHROMIUM} is missing: apt-get install chromium`);
}

/**
 * On SIGINT or SIGTERM (Ctrl-C, a CI timeout, a watchdog), kills the server `current` names now
 * and exits 1; returns the function that removes the handler.
 * @param {() => Server | undefined} current
 */
export function killOnSignal(current) {
  const stopOnSignal = () => {
    // Take the server down with us.
    current()?.child.kill('SIGKILL');
    process.exit(1);
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  return () => {
    process.removeListener('SIGINT', stopOnSignal);
    process.removeListener('SIGTERM', stopOnSignal);
  };
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
  requireBuild(pages);

  mkdirSync(outDir, { recursive: true });
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  /** @type {Server | undefined} */
  let server;
  /** @type {Browser | undefined} */
  let browser;
  const removeSignalHandler = killOnSignal(() => server);

  try {
    const started = startServer(bin, data, port, token ? ['--token', token] : []);
    server = started;
    const health = await check(`server${token ? ' (with --token)' : ''} answers GET /api/health with status ok`, async () => {
      const answer = await waitForHealth(started, baseUrl, token ? { Authorization: `Bearer ${token}` } : {});
      if (answer?.status !== 'ok') throw new E2eError(`health status is ${JSON.stringify(answer?.status)}, not "ok"`);
      return answer;
    });
    console.log(`e2e: server up at ${baseUrl}: ${JSON.stringify(health)}`);

    browser = await launchBrowser();
    await body({ baseUrl, page: browser.page, pageErrors: browser.pageErrors, health });
  } catch (error) {
    // What the browser showed when it failed is the quickest diagnosis.
    await screenshotFailure(browser?.page, outDir);
    if (server && !server.exited) console.error(`e2e: server output so far:\n${tail(server.output, 15)}`);
    throw error;
  } finally {
    await browser?.close();
    await stopServer(server);
    removeSignalHandler();
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
