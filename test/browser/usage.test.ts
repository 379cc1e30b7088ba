/**
 * The usage page in a real headless Chromium: two weeks of a class's use (written to the ledger in
 * Redis as the accounting would) drawn as four charts in the page, filtered by group, and its CSV
 * the same rows as the API's.
 */
import type { Browser, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { dayOf } from '../../src/servers/accounting';
import { adminBrowser, artifactPath } from '../helpers/browser';
import { signedIn } from '../helpers/client';
import { startHub, type TestHub } from '../helpers/hub';

interface Ctx {
  hub: TestHub;
  browser: Browser;
  page: Page;
}

const t = suite<Ctx>('browser: the usage page');
const DAY_MS = 86_400_000;
const CLASS: Record<string, string[]> = {
  physics: ['ann', 'bea', 'cal', 'dan'],
  chemistry: ['eve', 'fay', 'gus'],
  staff: ['hal'],
};

t.before(async (ctx) => {
  ctx.hub = await startHub({}, { background: false });
  await ctx.hub.addUser('root', 'root-password', true);
  const ledger = ctx.hub.runtime.ledger;
  const now = Date.now();
  for (const [group, members] of Object.entries(CLASS)) {
    await ctx.hub.runtime.groups.create(group, members);
    for (const [n, user] of members.entries())
      for (let d = 13; d >= 0; d--) {
        if ((d + n) % 3 === 0) continue; // not every student every day
        const hours = 0.5 + ((d * 7 + n * 3) % 5) * 0.4;
        const amounts = { server_seconds: hours * 3600, cpu_seconds: hours * 600, memory_gib_hours: hours * 0.3 };
        await ledger.add(user, [{ day: dayOf(now - d * DAY_MS), amounts }], [group], { at: 0, cpuSeconds: 0 });
      }
  }
  for (let i = 0; i < 40; i++) await ledger.noteSpawn(now - i * 60_000, 0.8 + (i % 7) * 0.3);
  for (let i = 60; i >= 0; i--) await ledger.noteRunning(now - i * 60_000, Math.round(4 + 3 * Math.sin(i / 9)));
  ({ browser: ctx.browser, page: ctx.page } = await adminBrowser(ctx.hub.url));
});

t.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.hub?.close();
});

t('the usage page draws its four charts from the ledger', async ({ page }) => {
  await page.click('#nav-usage');
  await page.waitForSelector('#chart-groups svg');
  for (const id of ['chart-groups', 'chart-users', 'chart-spawns', 'chart-running']) {
    const box = await page.locator(`#${id} svg`).boundingBox();
    assert.ok(box && box.width > 300 && box.height > 50, `${id} is drawn (${JSON.stringify(box)})`);
  }
  // 14 days for 3 groups: a bar per group and day it was used.
  assert.ok((await page.locator('#chart-groups rect[height]').count()) >= 30);
  const legend = await page.locator('#chart-groups text').allTextContents();
  for (const group of Object.keys(CLASS)) assert.ok(legend.includes(group), `${group} in the legend`);
  const users = await page.locator('#chart-users text').allTextContents();
  assert.ok(users.includes('ann') && users.includes('hal'), users.join(' '));
  assert.ok((await page.locator('#chart-running path').getAttribute('d'))?.startsWith('M'));
  const groups = await page.locator('#usage-groups tbody td:first-child').allTextContents();
  assert.equal(groups.sort(), ['chemistry', 'physics', 'staff']);
  await page.screenshot({ path: artifactPath('usage-page.png'), fullPage: true });
});

t('filtered by a group, the page shows its members only', async ({ page }) => {
  await page.selectOption('#usage-filter select[name="group"]', 'chemistry');
  await page.click('#usage-filter button[type="submit"]');
  await page.waitForURL(/group=chemistry/);
  const users = await page.locator('#chart-users text').allTextContents();
  assert.ok(users.includes('eve') && !users.includes('ann'), users.join(' '));
});

t('the CSV the page offers has the rows the API answers', async ({ hub, page }) => {
  const href = await page.locator('#usage-csv').getAttribute('href');
  const csv = await page.evaluate(async (url) => (await fetch(url)).text(), href ?? '');
  const root = await signedIn(hub.url, 'root', 'root-password');
  const api = (await (await root.api('GET', '/usage?group=chemistry')).json()) as {
    items: Array<Record<string, string | number>>;
  };
  const lines = csv.trim().split('\r\n');
  assert.is(lines.length, api.items.length + 1);
  assert.ok(api.items.length > 20, `${api.items.length} rows`);
  assert.equal(
    lines.slice(1),
    api.items.map((r) => [r.user, r.day, r.server_seconds, r.cpu_seconds, r.memory_gib_hours].join(',')),
  );
});

t.run();
