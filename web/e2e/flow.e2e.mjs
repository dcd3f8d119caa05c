// End-to-end flow of an operator's morning, against the real `cxagent serve`
// on a world with incidents (the demo scenario), in Debian's Chromium:
//
//   open / → click the top incident → its RCA → its recommendations →
//   move the what-if control → export the experiment plan
//
// with a full-page screenshot of each page in build/screenshots/<page>.png.
//
//   npm run build
//   CXAGENT_BIN=../build/cxagent CXAGENT_DATA=../data/demo npm run e2e:flow
//
// Env: CXAGENT_BIN (server binary, required), CXAGENT_DATA (data folder with
// incidents, required), E2E_OUT_DIR (default ../build from web/; screenshots
// go to its screenshots/ folder). Every wait is bounded (15 s an element, 3
// minutes the whole run) and a missing element fails with a message naming
// it and the endpoint that should have provided it. Exits 0 when every check
// passes, 1 otherwise; the server and the browser are stopped in every case.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, E2eError, runAndExit, startWatchdog, WEB_DIR, withServerAndBrowser } from './harness.mjs';

const RUN_TIMEOUT_MS = 180_000;

/**
 * What the page says instead of content: the API's error messages and the empty states.
 * @param {import('playwright-core').Page} page
 */
async function pageExplains(page) {
  // innerText keeps the line breaks between a title and its message; fold them into " / ".
  const said = [...(await page.getByRole('alert').allInnerTexts()), ...(await page.getByTestId('empty').allInnerTexts())].map(
    (text) => text.trim().replace(/\s*\n+\s*/g, ' / '),
  );
  return said.length ? ` (the page shows: ${said.join(' | ').slice(0, 400)})` : '';
}

/**
 * Waits for a locator to be visible, or fails saying what is missing, which endpoint should have
 * provided it, and what the page showed instead.
 * @param {import('playwright-core').Page} page
 * @param {import('playwright-core').Locator} locator
 * @param {string} what
 */
async function expectVisible(page, locator, what) {
  try {
    await locator.first().waitFor({ state: 'visible' });
  } catch {
    throw new E2eError(`missing: ${what}${await pageExplains(page)}`);
  }
}

/**
 * @param {import('playwright-core').Page} page
 * @param {string} dir
 * @param {string} name
 */
async function screenshot(page, dir, name) {
  const path = join(dir, `${name}.png`);
  await check(`screenshot of ${name} saved to ${path}`, async () => {
    // Let charts finish their first layout (no animation, but ResponsiveContainer measures after a frame).
    await page.waitForTimeout(300);
    // From the top, or the sticky header lands mid-page in a full-page shot.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path, fullPage: true });
  });
}

async function main() {
  const outDir = process.env.E2E_OUT_DIR || join(WEB_DIR, '..', 'build');
  const shots = join(outDir, 'screenshots');
  const stopWatchdog = startWatchdog(RUN_TIMEOUT_MS, 'the flow');

  await withServerAndBrowser({ script: 'e2e/flow.e2e.mjs', outDir: shots }, async ({ baseUrl, page, pageErrors }) => {
    /** @type {string} */
    let incidentId = '';

    await check('/ shows the CX trend, the quick stats and the incidents', async () => {
      const response = await page.goto(`${baseUrl}/`);
      if (!response?.ok()) throw new E2eError(`GET / answered HTTP ${response?.status()}`);
      await expectVisible(page, page.getByRole('heading', { level: 1, name: 'Dashboard' }), 'the Dashboard heading');
      await expectVisible(page, 
        page.getByRole('figure', { name: /^Daily CX Score/ }),
        `the CX Score trend chart (GET /api/metrics/cx-score)`,
      );
      const rows = page.getByRole('region', { name: 'Incidents' }).getByRole('row');
      await expectVisible(page, 
        rows.nth(1),
        `a row in the incidents table: does GET /api/incidents list any incident on this world?`,
      );
    });
    await screenshot(page, shots, 'dashboard');

    await check('clicking the top incident opens its page', async () => {
      const link = page.getByRole('region', { name: 'Incidents' }).getByRole('row').nth(1).getByRole('link').first();
      incidentId = ((await link.textContent()) ?? '').trim();
      if (!/^\S+$/.test(incidentId)) throw new E2eError(`the top row's link reads "${incidentId}", not an incident id`);
      await link.click();
      await page.waitForURL(`${baseUrl}/incidents/${encodeURIComponent(incidentId)}`);
      await expectVisible(page, page.getByRole('heading', { level: 1, name: `Incident ${incidentId}` }), `the heading "Incident ${incidentId}"`);
      await expectVisible(page, 
        page.getByRole('region', { name: 'Incident metadata' }),
        `the incident metadata (GET /api/incidents/${incidentId})`,
      );
      await expectVisible(page, page.getByRole('region', { name: 'Top regressing slices' }), 'the top regressing slices');
      await expectVisible(page, page.getByRole('region', { name: 'Metric breakdown' }), 'the metric breakdown');
      await expectVisible(page, page.getByRole('form', { name: 'Update status' }), 'the status control');
    });
    await screenshot(page, shots, 'incident');

    await check('the incident links on to its root cause analysis', async () => {
      await page.getByRole('link', { name: 'Root cause analysis →' }).click();
      await page.waitForURL(`${baseUrl}/rca/${encodeURIComponent(incidentId)}`);
      await expectVisible(page, 
        page.getByRole('list', { name: 'Causes, most likely first' }).getByRole('listitem'),
        `a ranked cause (GET /api/incidents/${incidentId}/rca)`,
      );
      await expectVisible(page, page.getByRole('region', { name: 'Narrative' }), 'the narrative');
      await expectVisible(page, page.getByRole('figure'), 'an evidence chart of the top cause');
    });
    await screenshot(page, shots, 'rca');

    await check('the root cause links on to the recommendations', async () => {
      await page.getByRole('link', { name: 'Recommendations →' }).click();
      await page.waitForURL(`${baseUrl}/recommendations/${encodeURIComponent(incidentId)}`);
      await expectVisible(page, 
        page.getByRole('region', { name: 'Recommended actions' }).getByRole('listitem'),
        `an action card (GET /api/incidents/${incidentId}/recommendations)`,
      );
      await expectVisible(page, page.getByRole('figure', { name: 'CX vs efficiency tradeoff' }), 'the tradeoff chart');
    });

    await check('moving the what-if control simulates the action (POST /whatif)', async () => {
      const panel = page.getByRole('region', { name: 'What-if' });
      const slider = panel.getByRole('slider').first();
      const control = (await slider.count()) ? slider : panel.getByRole('spinbutton').first();
      await expectVisible(page, control, 'a what-if control (a slider from the tradeoff sweep, or a number input)');
      const answered = page.waitForResponse((r) => r.url().endsWith('/whatif') && r.request().method() === 'POST');
      await control.focus();
      // With the keyboard, as an operator without a mouse would; at the top of its range, go down.
      // Sliders move with left/right, number inputs with up/down.
      const isSlider = (await control.getAttribute('type')) === 'range';
      const before = await control.inputValue();
      await page.keyboard.press(isSlider ? 'ArrowRight' : 'ArrowUp');
      if ((await control.inputValue()) === before) await page.keyboard.press(isSlider ? 'ArrowLeft' : 'ArrowDown');
      const response = await answered.catch(() => {
        throw new E2eError('no POST …/whatif was sent within 15 s of moving the control');
      });
      if (!response.ok()) throw new E2eError(`POST ${response.url()} answered HTTP ${response.status()}: ${(await response.text()).slice(0, 300)}`);
      await expectVisible(page, panel.getByTestId('whatif-cx'), `the simulated CX change`);
      console.log(`e2e: what-if: ${await panel.getByTestId('whatif-action').textContent()} → ${await panel.getByTestId('whatif-cx').textContent()}`);
      const table = page.getByRole('figure', { name: 'CX vs efficiency tradeoff' }).getByRole('table', { includeHidden: true });
      if (!(await table.getByText('What-if', { exact: true }).count())) {
        throw new E2eError('the tradeoff chart has no What-if point after the simulation');
      }
    });
    await screenshot(page, shots, 'recommendations');

    await check('"Export experiment plan" downloads the Markdown plan under the server\'s file name', async () => {
      const downloaded = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Export experiment plan' }).click();
      const download = await downloaded.catch(async () => {
        throw new E2eError(`no download started within 15 s${await pageExplains(page)}`);
      });
      const name = download.suggestedFilename();
      if (!name.startsWith(`${incidentId}-`) || !name.endsWith('-plan.md')) {
        throw new E2eError(`the plan downloaded as "${name}", not "${incidentId}-<recommendation>-plan.md"`);
      }
      const path = join(outDir, name);
      await download.saveAs(path);
      const text = readFileSync(path, 'utf8');
      if (!text.trim()) throw new E2eError(`the downloaded plan ${path} is empty`);
      console.log(`e2e: plan saved to ${path} (${text.length} characters)`);
    });

    await check('no script errors on any page', async () => {
      if (pageErrors.length) throw new E2eError(`page errors: ${pageErrors.join('; ')}`);
    });
  });
  stopWatchdog();
}

await runAndExit(main);
