/**
 * Live usage on the admin page, in a real headless Chromium on the real engine: a server spinning
 * a core shows about 1 CPU and one holding 300 MB shows it, sorted by who uses the most, the table
 * following by itself without a reload.
 */
import type { Browser, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { adminBrowser, artifactPath } from '../helpers/browser';
import { type Client, signedIn } from '../helpers/client';
import { startHub, type TestHub } from '../helpers/hub';
import { execute, startKernel } from '../helpers/kernel';

interface Ctx {
  hub: TestHub;
  browser: Browser;
  page: Page;
}

const t = suite<Ctx>('browser: live usage on the admin page');

t.before(async (ctx) => {
  ctx.hub = await startHub({ HUB_USAGE_INTERVAL: '1' });
  await ctx.hub.addUser('root', 'root-password', true);
  for (const name of ['spin', 'hog']) await ctx.hub.addUser(name, `${name}-password`);
  ({ browser: ctx.browser, page: ctx.page } = await adminBrowser(ctx.hub.url));
});

t.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.hub?.close();
});

async function run(client: Client, user: string, code: string): Promise<void> {
  assert.is((await client.api('POST', `/users/${user}/server`)).status, 201);
  const kernel = await startKernel(client, user);
  assert.is((await execute(client, user, kernel, code)).error, undefined);
}

const usageOf = (page: Page, user: string) => page.textContent(`#users tr[data-user="${user}"] td.usage`);
const order = (page: Page) =>
  page.$$eval('#users tbody tr', (trs) => trs.map((tr) => (tr as HTMLElement).dataset.user));

t('a spinning core and 300 MB show in the table, sorted by who uses the most, without a reload', async (ctx) => {
  const { page, hub } = ctx;
  await page.click('#nav-admin');
  await page.waitForSelector('#users tbody tr');
  const spin = await signedIn(hub.url, 'spin', 'spin-password');
  const hog = await signedIn(hub.url, 'hog', 'hog-password');
  await run(
    spin,
    'spin',
    'import threading\ndef f():\n    while True:\n        pass\nthreading.Thread(target=f, daemon=True).start()',
  );
  await run(hog, 'hog', "held = b'x' * (300 * 1024 * 1024)");
  const loads = { count: 0 };
  page.on('framenavigated', () => loads.count++);

  // Sorted by who uses the most now: the spinning server comes first once it is sampled at about a core.
  await page.selectOption('#sort', '-cpu');
  await page.waitForFunction(
    () => {
      const first = document.querySelector('#users tbody tr');
      const text = first?.querySelector('td.usage')?.textContent ?? '';
      return (first as HTMLElement | null)?.dataset.user === 'spin' && /, (0\.[7-9]\d|1\.[0-3]\d) CPU$/.test(text);
    },
    undefined,
    { timeout: 60_000 },
  );
  await page.selectOption('#sort', '-memory');
  await page.waitForFunction(
    () => {
      const first = document.querySelector('#users tbody tr');
      const text = first?.querySelector('td.usage')?.textContent ?? '';
      return (first as HTMLElement | null)?.dataset.user === 'hog' && Number(/^(\d+) MiB/.exec(text)?.[1] ?? 0) >= 300;
    },
    undefined,
    { timeout: 60_000 },
  );
  assert.equal((await order(page)).slice(0, 2), ['hog', 'spin'], 'the most memory first; root, with no server, last');
  // The table follows by itself: the spinning server's CPU reading changes with each sample.
  const before = await usageOf(page, 'spin');
  await page.waitForFunction(
    (was) => document.querySelector('#users tr[data-user="spin"] td.usage')?.textContent !== was,
    before,
    { timeout: 30_000 },
  );
  assert.is(loads.count, 0, 'no reload');
  await page.screenshot({ path: artifactPath('admin-usage.png'), fullPage: true });
});

t.run();
