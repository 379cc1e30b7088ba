import type { Browser, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { launchChromium, runInNewNotebook, signedInPage, waitForPath } from '../helpers/browser';
import { signedIn } from '../helpers/client';
import { startHub, type TestHub } from '../helpers/hub';
import { type RegistryCatalogue, registryCatalogue } from '../helpers/registry';

interface Ctx {
  images: RegistryCatalogue;
  hub: TestHub;
  browser: Browser;
  page: Page;
}

const t = suite<Ctx>('browser: a stock image from a registry');

t.before(async (ctx) => {
  ctx.images = await registryCatalogue('browser');
  const entry = `{ id: stock-lab, image: "${ctx.images.reference}", title: Stock from the registry, default_url: /tree }`;
  ctx.images.write([`  - ${entry}`]);
  ctx.hub = await startHub({ HUB_IMAGES_DIR: ctx.images.dir, HUB_SLOW_SPAWN_TIMEOUT: '0' });
  await ctx.hub.addUser('alice', 'alice-password');
  await ctx.hub.addUser('bob', 'bob-password');
  ctx.browser = await launchChromium();
  ctx.page = await signedInPage(ctx.browser, ctx.hub.url, 'alice', 'alice-password');
});

t.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.hub?.close();
  await ctx.images?.close();
});

t('pick it, watch the pull, land in the notebook at its default URL and run code', async ({ hub, page }) => {
  await page.goto(`${hub.url}/hub/spawn`);
  await page.check('#image-stock-lab input[type=radio]');
  await page.click('#start');
  await page.waitForURL('**/hub/spawn-pending/alice');
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll('#progress-log li')].some((li) =>
        /^Pulling .+: \d+ of \d+ layers/.test(li.textContent ?? ''),
      ),
    undefined,
    { timeout: 120_000 },
  );
  await waitForPath(page, '/user/alice/tree', 120_000);
  assert.is(await runInNewNotebook(page, 'python3', 'print(6*7)', 'stock-notebook.png'), '42');
});

t("the notebook's Logout leads to the hub's", async ({ hub, page }) => {
  await page.goto(`${hub.url}/user/alice/tree`);
  await page.click('#logout');
  await page.waitForURL('**/hub/logout');
  assert.ok(await page.isVisible('#confirm-logout'));
});

t("a second user is refused everywhere on alice's server", async ({ hub }) => {
  const bob = await signedIn(hub.url, 'bob', 'bob-password');
  for (const p of ['/user/alice/tree', '/user/alice/api/contents', '/user/alice/oauth_callback?code=x&state=y']) {
    assert.is((await bob.request(p)).status, 404, p);
  }
  const authorize = await bob.request(
    '/hub/api/oauth2/authorize?client_id=jupyterhub-user-alice&redirect_uri=%2Fuser%2Falice%2Foauth_callback&response_type=code',
  );
  assert.is(authorize.status, 403);
});

t.run();
