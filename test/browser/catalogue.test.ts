/**
 * The catalogue in a real headless Chromium: the spawn page shows the cards, picking R starts
 * the R image, and R code runs in the notebook UI.
 */
import type { Browser, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { artifactPath, launchChromium, runInNewNotebook, signedInPage, waitForPath } from '../helpers/browser';
import { containersOf } from '../helpers/docker';
import { startHub, type TestHub } from '../helpers/hub';

interface Ctx {
  hub: TestHub;
  browser: Browser;
  page: Page;
}

const t = suite<Ctx>('browser: pick an image');

t.before(async (ctx) => {
  ctx.hub = await startHub({ HUB_IMAGES: 'octave,python,r,scipy' });
  await ctx.hub.addUser('rita', 'rita-password');
  ctx.browser = await launchChromium();
  ctx.page = await signedInPage(ctx.browser, ctx.hub.url, 'rita', 'rita-password');
});

t.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.hub?.close();
});

t('the spawn page shows a card per image with kernels, packages, limits, size and date', async ({ hub, page }) => {
  await page.click('#choose');
  await page.waitForURL('**/hub/spawn');
  const cards = await page.$$eval('.image-card', (els) => els.map((el) => el.id));
  assert.equal(cards, ['image-octave', 'image-python', 'image-r', 'image-scipy']);
  assert.is(await page.textContent('#image-r .kernels'), 'R 4.2.2, Python 3.11');
  assert.match((await page.textContent('#image-scipy .packages')) ?? '', /numpy 1\.24/);
  assert.match((await page.textContent('#image-scipy .limits')) ?? '', /^4 GB memory · 2 CPUs · 512 processes$/);
  assert.match((await page.textContent('#image-r .built')) ?? '', /^\d+(\.\d)? [GM]B, built \d{4}-\d\d-\d\d$/);
  assert.ok(await page.isChecked('#image-python input'), 'the default is preselected');
  await page.screenshot({ path: artifactPath('catalogue-spawn-page.png'), fullPage: true });
  assert.is((await containersOf(hub.hubName)).length, 0);
});

t('picking R and pressing Start lands in the R environment, where R code runs', async ({ hub, page }) => {
  await page.click('#image-r');
  await page.click('#start');
  await waitForPath(page, '/user/rita/tree', 60_000);
  const [container] = await containersOf(hub.hubName);
  assert.is(container.Labels['berth.image'], 'r');
  const traffic = (page as typeof page & { traffic: string[] }).traffic;
  const out = await runInNewNotebook(
    page,
    'ir',
    'cat("R says", 6*7, R.version$language)',
    'catalogue-r-notebook.png',
  ).catch((err: Error) => {
    throw new Error(`${err.message}\nproblems: ${traffic.join('\n')}`);
  });
  assert.is(out, 'R says 42 R');
});

t('the choice is remembered on the home page and the spawn page', async ({ hub, page }) => {
  await page.goto(`${hub.url}/hub/home`);
  await page.click('#stop');
  await page.waitForSelector('#start', { timeout: 60_000 });
  assert.match((await page.textContent('#server-state')) ?? '', /Image: R/);
  await page.click('#choose');
  assert.ok(await page.isChecked('#image-r input'));
});

t.run();
