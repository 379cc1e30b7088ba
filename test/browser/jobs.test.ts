/**
 * The jobs page in a real headless Chromium, on a real hub and engine: a user runs a notebook
 * from the form with a parameter, watches it in the table until it has succeeded (the table
 * updates by itself), reads its log, and makes a recurring job; a wrong field comes back named.
 */
import type { Browser, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { artifactPath, launchChromium, signedInPage } from '../helpers/browser';
import { notebook, putFile } from '../helpers/homes';
import { startHub, type TestHub } from '../helpers/hub';

interface Ctx {
  hub: TestHub;
  browser: Browser;
  page: Page;
}

const t = suite<Ctx>('browser: the jobs page');

t.before(async (ctx) => {
  ctx.hub = await startHub();
  await ctx.hub.addUser('ann', 'ann-password');
  await putFile(
    ctx.hub.hubName,
    'ann',
    'calc.ipynb',
    notebook({ tags: ['parameters'], source: 'n = 1' }, 'print(6 * n)'),
  );
  ctx.browser = await launchChromium();
  ctx.page = await signedInPage(ctx.browser, ctx.hub.url, 'ann', 'ann-password');
});

t.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.hub?.close();
});

t('a notebook run from the form succeeds in the table, with its log', async ({ hub, page }) => {
  await page.goto(`${hub.url}/hub/jobs`);
  await page.fill('#job-notebook', 'calc.ipynb');
  await page.fill('#job-parameters', '{"n": 7}');
  await page.click('#submit-job');
  await page.waitForFunction(() =>
    /^Job [0-9a-f]{12} queued\.$/.test(document.getElementById('notice')?.textContent ?? ''),
  );
  await page.waitForSelector('#job-list tr[data-state="succeeded"]', { timeout: 120_000 });
  const result = await page.textContent('#job-list tr[data-state="succeeded"] td.result');
  assert.match(result ?? '', /^calc\.job-[0-9a-f]{12}\.ipynb$/);
  await page.click('#job-list tr[data-state="succeeded"] button.show-log');
  await page.waitForFunction(() => /wrote calc\.job-/.test(document.getElementById('job-log')?.textContent ?? ''));
  await page.screenshot({ path: artifactPath('jobs.png'), fullPage: true });
});

t('a recurring job from the form, and a wrong field named', async ({ hub, page }) => {
  await page.goto(`${hub.url}/hub/jobs`);
  await page.fill('#job-notebook', 'calc.ipynb');
  await page.fill('#job-schedule', '0 6 * * *');
  await page.click('#submit-job');
  await page.waitForSelector('#schedule-list tr[data-schedule]');
  assert.is(await page.textContent('#schedule-list tr[data-schedule] td'), '0 6 * * *');
  await page.fill('#job-schedule', '');
  await page.fill('#job-notebook', '../etc/passwd.ipynb');
  await page.click('#submit-job');
  await page.waitForFunction(() =>
    /^notebook: must not have empty/.test(document.getElementById('notice')?.textContent ?? ''),
  );
});

t.run();
