/**
 * The admin page and the token page in a real headless Chromium: the users table (paged,
 * filtered, sorted), start with an image, stop, stop all, add users, toggle admin, reset a
 * password, delete; and a user making and revoking an API token.
 */
import type { Browser, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { adminBrowser, artifactPath, signedInPage } from '../helpers/browser';
import { signedIn } from '../helpers/client';
import { containersOf, docker } from '../helpers/docker';
import { startHub, type TestHub } from '../helpers/hub';
import { eventually } from '../helpers/wait';

interface Ctx {
  hub: TestHub;
  browser: Browser;
  page: Page;
}

const t = suite<Ctx>('browser: admin and token pages');

t.before(async (ctx) => {
  // Starts and stops answer 202 at once, so the page must follow them to their end by itself.
  ctx.hub = await startHub({ HUB_SLOW_SPAWN_TIMEOUT: '0' });
  await ctx.hub.addUser('root', 'root-password', true);
  await ctx.hub.addUser('alice', 'alice-password');
  await ctx.hub.addUser('bob', 'bob-password');
  ({ browser: ctx.browser, page: ctx.page } = await adminBrowser(ctx.hub.url));
});

t.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.hub?.close();
});

const rows = (page: Page) => page.$$eval('#users tbody tr', (trs) => trs.map((tr) => (tr as HTMLElement).dataset.user));
const cell = (page: Page, user: string, name: string) => page.textContent(`#users tr[data-user="${user}"] td.${name}`);

t('only admins reach the admin page; it lists the users', async ({ hub, page }) => {
  const alice = await signedIn(hub.url, 'alice', 'alice-password');
  assert.is((await alice.request('/hub/admin')).status, 403);
  await page.click('#nav-admin');
  await page.waitForSelector('#users tbody tr');
  assert.equal(await rows(page), ['alice', 'bob', 'root']);
  assert.is(await cell(page, 'root', 'admin-flag'), 'admin');
});

t('filter by name', async ({ page }) => {
  await page.fill('#filter', 'BO');
  await page.waitForFunction(() => document.querySelectorAll('#users tbody tr').length === 1);
  assert.equal(await rows(page), ['bob']);
  await page.fill('#filter', '');
  await page.waitForFunction(() => document.querySelectorAll('#users tbody tr').length === 3);
});

t(
  "start bob's server with the R image, then stop it; the table follows both without a reload",
  async ({ hub, page }) => {
    await page.selectOption('#users tr[data-user="bob"] select.image', 'r');
    await page.click('#users tr[data-user="bob"] button.start');
    await page.waitForFunction(
      () => document.querySelector('#users tr[data-user="bob"] td.server')?.textContent === 'starting (r)',
    );
    await page.waitForFunction(
      () => document.querySelector('#users tr[data-user="bob"] td.server')?.textContent === 'running (r)',
      undefined,
      { timeout: 60_000 },
    );
    const [container] = await containersOf(hub.hubName);
    assert.is(container.Labels['berth.user'], 'bob');
    assert.is(container.Labels['berth.image'], 'r');
    await page.screenshot({ path: artifactPath('admin-page.png'), fullPage: true });
    await page.click('#users tr[data-user="bob"] button.stop');
    await page.waitForFunction(
      () => document.querySelector('#users tr[data-user="bob"] td.server')?.textContent === 'stopped',
      undefined,
      { timeout: 60_000 },
    );
    assert.equal(await containersOf(hub.hubName), []);
  },
);

t('a running server whose group changed says so, and its restart takes the new settings', async ({ hub, page }) => {
  const root = await signedIn(hub.url, 'root', 'root-password');
  assert.is((await root.api('POST', '/groups/course', { users: ['alice'] })).status, 201);
  assert.is((await root.api('POST', '/users/alice/server')).status < 300, true);
  const serverText = (text: string) =>
    page.waitForFunction(
      (want) => document.querySelector('#users tr[data-user="alice"] td.server')?.textContent === want,
      text,
      { timeout: 60_000 },
    );
  await page.reload();
  await serverText('running (python)');
  assert.is((await root.api('PUT', '/groups/course/properties', { env: { COURSE: 'ml-101' } })).status, 200);
  await page.reload();
  await serverText('running (python), with old group settings');
  await page.click('#users tr[data-user="alice"] button.restart');
  await serverText('running (python)');
  const [container] = await containersOf(hub.hubName);
  assert.ok(container, 'a container runs');
  const info = await docker.getContainer(container.Id).inspect();
  assert.ok(info.Config.Env.includes('COURSE=ml-101'), 'the restarted server has the new variable');
  assert.is((await root.api('DELETE', '/users/alice/server')).status < 300, true);
  await eventually(async () => (await containersOf(hub.hubName)).length === 0, "alice's server is gone");
});

t('add users, make one an admin, reset a password (it works), delete one', async ({ hub, browser, page }) => {
  await page.fill('#add-names', 'carol\ndave');
  await page.click('#add-users button[type="submit"]');
  await page.waitForSelector('#users tr[data-user="dave"]');
  await page.click('#users tr[data-user="carol"] button.toggle-admin');
  await page.waitForFunction(
    () => document.querySelector('#users tr[data-user="carol"] td.admin-flag')?.textContent === 'admin',
  );
  assert.ok((await hub.runtime.users.get('carol'))?.admin);
  await page.click('#users tr[data-user="dave"] button.reset-password');
  await page.waitForFunction(() =>
    /New password for dave: /.test(document.getElementById('notice')?.textContent ?? ''),
  );
  const password = (await page.textContent('#notice'))!.replace('New password for dave: ', '');
  const dave = await signedInPage(browser, hub.url, 'dave', password);
  assert.match(new URL(dave.url()).pathname, /^\/hub\/home$/);
  await dave.context().close();
  await page.click('#users tr[data-user="dave"] button.delete');
  await page.waitForFunction(() => !document.querySelector('#users tr[data-user="dave"]'));
  assert.is(await hub.runtime.users.get('dave'), undefined);
});

t('pages of 50, and sorting by last activity', async ({ hub, page }) => {
  for (let i = 0; i < 55; i++) await hub.runtime.users.create(`user${String(i).padStart(2, '0')}`, { admin: false });
  await hub.runtime.activity.touch('user42', Date.now());
  await page.reload();
  await page.waitForSelector('#users tbody tr');
  assert.is((await rows(page)).length, 50);
  assert.is(await page.textContent('#page-info'), '1–50 of 59');
  await page.click('#next');
  await page.waitForFunction(() => document.getElementById('page-info')?.textContent === '51–59 of 59');
  assert.is((await rows(page)).length, 9);
  await page.selectOption('#sort', '-last_activity');
  await page.waitForFunction(() => document.getElementById('page-info')?.textContent === '1–50 of 59');
  assert.is((await rows(page))[0], 'user42');
});

t('stop all stops every running server', async ({ hub, page }) => {
  for (const name of ['alice', 'bob']) {
    const client = await signedIn(hub.url, name, `${name}-password`);
    assert.is((await client.api('POST', `/users/${name}/server`)).status, 202);
    await eventually(
      async () => (await hub.runtime.servers.view(name)).state === 'running',
      `${name}'s server runs`,
      60_000,
    );
  }
  assert.is((await containersOf(hub.hubName)).length, 2);
  await page.click('#stop-all');
  await eventually(async () => (await containersOf(hub.hubName)).length === 0, 'every server is stopped', 30_000);
});

t('the token page: make a token (shown once, and it works), then revoke it', async ({ hub, browser }) => {
  const alice = await signedInPage(browser, hub.url, 'alice', 'alice-password');
  await alice.click('#nav-token');
  await alice.fill('#token-note', 'my laptop');
  await alice.selectOption('#token-expires', '86400');
  await alice.click('#create-token');
  await alice.waitForSelector('#new-token-box:not([hidden])');
  const token = (await alice.textContent('#new-token'))!;
  assert.match(token, /^[0-9a-f]{64}$/);
  await alice.waitForSelector('#token-list tbody tr');
  assert.match((await alice.textContent('#token-list tbody tr')) ?? '', /my laptop/);
  const me = await fetch(`${hub.url}/hub/api/user`, { headers: { authorization: `token ${token}` } });
  assert.is((await me.json()).name, 'alice');
  await alice.screenshot({ path: artifactPath('token-page.png') });
  await alice.click('#token-list button.revoke');
  await alice.waitForFunction(() => document.querySelectorAll('#token-list tbody tr').length === 0);
  assert.is((await fetch(`${hub.url}/hub/api/user`, { headers: { authorization: `token ${token}` } })).status, 403);
});

t.run();
