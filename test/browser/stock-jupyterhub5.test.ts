/**
 * JupyterHub 5's single-user server (images/stock-jupyterhub5: Debian trixie's JupyterHub 5.2.1,
 * a Jupyter Server 2 extension), in headless Chromium: picked from the catalogue file, it signs
 * the user in by OAuth, lands at its default URL, runs code and reports activity; its Logout
 * leads to the hub's. With stock.test.ts (JupyterHub 3.0), the versions Berth is tried against.
 */
import type { Browser, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { launchChromium, runInNewNotebook, signedInPage, waitForPath } from '../helpers/browser';
import { startHub, type TestHub } from '../helpers/hub';
import { eventually } from '../helpers/wait';

interface Ctx {
  hub: TestHub;
  logs: string[];
  browser: Browser;
  page: Page;
}

const t = suite<Ctx>('browser: a stock JupyterHub 5 image');

t.before(async (ctx) => {
  ctx.logs = [];
  ctx.hub = await startHub({ HUB_SLOW_SPAWN_TIMEOUT: '0' }, { logs: ctx.logs });
  await ctx.hub.addUser('alice', 'alice-password');
  ctx.browser = await launchChromium();
  ctx.page = await signedInPage(ctx.browser, ctx.hub.url, 'alice', 'alice-password');
});

t.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.hub?.close();
});

t('pick it, sign in on it by OAuth, land at its default URL, run code; it reports activity', async (ctx) => {
  const { hub, page } = ctx;
  await page.goto(`${hub.url}/hub/spawn`);
  await page.check('#image-stock-jupyterhub5 input[type=radio]');
  await page.click('#start');
  await waitForPath(page, '/user/alice/tree', 60_000);
  assert.is(await runInNewNotebook(page, 'python3', 'print(6*7)', 'stock-jupyterhub5-notebook.png'), '42');
  await eventually(
    async () => ctx.logs.some((l) => /"path":"\/hub\/api\/users\/alice\/activity"/.test(l) && /"status":200/.test(l)),
    'the server has reported activity',
    30_000,
  );
});

t("the notebook's Logout leads to the hub's", async ({ hub, page }) => {
  await page.goto(`${hub.url}/user/alice/tree`);
  await page.click('#logout');
  await page.waitForURL('**/hub/logout');
  assert.ok(await page.isVisible('#confirm-logout'));
});

t.run();
