/**
 * The walking skeleton in a real headless Chromium: sign in, start my server, land in the stock
 * notebook UI, New → Python 3, run print(6*7), see 42; then stop and log out.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { keys } from '../../src/store/keys';
import {
  artifactPath,
  launchChromium,
  recordTraffic,
  runInNewNotebook,
  settled,
  treeReady,
  waitForPath,
} from '../helpers/browser';
import { containersOf } from '../helpers/docker';
import { startHub, type TestHub } from '../helpers/hub';

interface Ctx {
  hub: TestHub;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  traffic: string[];
}

const t = suite<Ctx>('browser journey');

t.before(async (ctx) => {
  ctx.hub = await startHub();
  await ctx.hub.addUser('alice', 'alice-password');
  ctx.browser = await launchChromium();
  ctx.context = await ctx.browser.newContext();
  ctx.context.setDefaultTimeout(30_000);
  ctx.page = await ctx.context.newPage();
  ctx.traffic = recordTraffic(ctx.page);
});

t.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.hub?.close();
});

t('the root sends a visitor to the login page', async ({ hub, page }) => {
  await page.goto(`${hub.url}/`);
  assert.match(new URL(page.url()).pathname, /^\/hub\/login$/);
});

t('a wrong password shows one generic error', async ({ page }) => {
  await page.fill('#username_input', 'alice');
  await page.fill('#password_input', 'wrong-password');
  await page.click('#login_submit');
  assert.is(await page.textContent('p.error'), 'Invalid username or password.');
});

t('signing in lands on the home page', async ({ page }) => {
  await page.fill('#username_input', 'alice');
  await page.fill('#password_input', 'alice-password');
  await page.click('#login_submit');
  await page.waitForURL('**/hub/home');
  assert.match((await page.textContent('#server-state')) ?? '', /not running/);
});

t('Start my server lands in the notebook UI at /user/alice/tree', async ({ hub, page, traffic }) => {
  await page.click('#start');
  await waitForPath(page, '/user/alice/tree', 60_000);
  await settled(page, treeReady('python3')).catch((err: Error) => {
    throw new Error(`${err.message}\nproblems: ${traffic.join('\n')}`);
  });
  assert.is((await containersOf(hub.hubName)).length, 1);
});

t('New → Python 3 opens a notebook where print(6*7) shows 42', async ({ page }) => {
  assert.is(await runInNewNotebook(page, 'python3', 'print(6*7)', 'journey-notebook.png'), '42');
});

t('Stop my server removes the container and the route', async ({ hub, page }) => {
  await page.goto(`${hub.url}/hub/home`);
  await page.click('#stop');
  await page.waitForSelector('#start', { timeout: 60_000 });
  assert.is((await containersOf(hub.hubName)).length, 0);
  assert.is(await hub.redis.client().exists(keys.route('alice')), 0);
});

t('Log out ends the session in Redis', async ({ hub, context, page }) => {
  const session = (await context.cookies()).find((c) => c.name === 'berth-session')!;
  assert.ok(await hub.redis.client().exists(keys.session(session.value)));
  await page.click('#logout');
  await page.waitForURL('**/hub/login');
  assert.is(await hub.redis.client().exists(keys.session(session.value)), 0);
  await page.goto(`${hub.url}/hub/home`);
  assert.match(new URL(page.url()).pathname, /^\/hub\/login$/);
  await page.screenshot({ path: artifactPath('journey-logged-out.png') });
});

t.run();
