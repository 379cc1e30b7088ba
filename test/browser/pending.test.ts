/**
 * The pending page in a real headless Chromium: a live progress bar fed by the start's events
 * (here an image build, a container start, the wait for the server), then the notebook UI; and
 * on failure, the reason with the container's last log lines.
 */
import type { Browser, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { artifactPath, launchChromium, settled, signedInPage, treeReady } from '../helpers/browser';
import { startHub, type TestHub } from '../helpers/hub';
import { type TestImages, testImages } from '../helpers/images';
import { eventually } from '../helpers/wait';

interface Ctx {
  hub: TestHub;
  images: TestImages;
  browser: Browser;
  page: Page;
}

const t = suite<Ctx>('browser: the pending page');

t.before(async (ctx) => {
  ctx.images = testImages({ broken: ['CMD ["sh", "-c", "echo no notebook here >&2; exit 7"]'] });
  ctx.hub = await startHub({
    HUB_IMAGES_DIR: ctx.images.dir,
    HUB_BUILD_IMAGES: 'missing',
    HUB_SLOW_SPAWN_TIMEOUT: '0',
  });
  await ctx.hub.addUser('pat', 'pat-password');
  ctx.browser = await launchChromium();
  ctx.page = await signedInPage(ctx.browser, ctx.hub.url, 'pat', 'pat-password');
});

t.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.hub?.close();
  await ctx.images?.remove();
});

t('a start shows live progress, then lands in the notebook UI', async ({ hub, images, page }) => {
  // Added now, after the hub's background build ran, so that this start is the one that builds it.
  images.add('slow', ['RUN sleep 3 && echo built > /tmp/built']);
  // The hub re-reads image folders every 2 s; the card shows once it has.
  await eventually(
    async () => {
      await page.goto(`${hub.url}/hub/spawn`);
      return page.$(`#image-${images.ids.slow}`);
    },
    'the new image is offered',
    15_000,
    500,
  );
  await page.click(`#image-${images.ids.slow}`);
  await page.click('#start');
  await page.waitForURL('**/hub/spawn-pending/pat');
  // Docker's build steps arrive as they run; the build's `sleep 3` keeps the bar short of 100.
  await page.waitForFunction(() =>
    /Building Test slow: step \d+ of \d+/.test(document.getElementById('progress-log')?.textContent ?? ''),
  );
  const value = await page.$eval('#progress', (el) => (el as HTMLProgressElement).value);
  assert.ok(value > 0 && value < 100, `progress bar at ${value}`);
  await page.screenshot({ path: artifactPath('pending-progress.png') });
  await page.waitForURL(/\/user\/pat\/tree/);
  await settled(page, treeReady('python3'));
});

t('a failed start shows why, with the last log lines, and home offers a retry', async ({ hub, images, page }) => {
  await page.goto(`${hub.url}/hub/home`);
  await page.click('#stop');
  await page.waitForSelector('#start');
  await page.goto(`${hub.url}/hub/spawn`);
  await page.click(`#image-${images.ids.broken}`);
  await page.click('#start');
  await page.waitForSelector('#last-error');
  const error = (await page.textContent('#last-error')) ?? '';
  assert.match(error, /stopped while starting: it exited with code 7/);
  assert.match(error, /no notebook here/);
  await page.screenshot({ path: artifactPath('pending-failed.png') });
  await page.click('text=Back to home, to try again');
  await page.waitForSelector('#start');
  assert.match((await page.textContent('#last-error')) ?? '', /exited with code 7/);
});

t.run();
