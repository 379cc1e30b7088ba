/**
 * "Stop all" on the admin page, in headless Chromium, over a hub on fakes: with 250 servers
 * running (more than the API's 200 to a page) every one of them stops, none is missed.
 */
import type { Browser } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeSpawner } from '../fakes/spawners';
import { launchChromium, signedInPage } from '../helpers/browser';
import { type FakeHub, fakeHub } from '../helpers/lifecycle';
import { eventually } from '../helpers/wait';

const RUNNING = 250;
const t = suite<{ hub: FakeHub; browser: Browser }>('browser: stop all servers');

t.before(async (ctx) => {
  ctx.hub = await fakeHub(new FakeSpawner());
  await ctx.hub.addUser('root', 'root-password', true);
  const names = Array.from({ length: RUNNING }, (_, i) => `student${String(i).padStart(3, '0')}`);
  for (const name of names) await ctx.hub.life.users.create(name, { admin: false });
  for (const name of names) assert.is(await ctx.hub.life.servers.start(name), 'ready');
  // One more user without a server, who must stay as they are.
  await ctx.hub.life.users.create('idle', { admin: false });
  ctx.browser = await launchChromium();
});

t.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.hub?.close();
});

t(`stops all ${RUNNING} running servers, across pages of the API`, async ({ hub, browser }) => {
  assert.is(hub.life.spawner.containers.size, RUNNING);
  const page = await signedInPage(browser, hub.url, 'root', 'root-password');
  page.on('dialog', (dialog) => void dialog.accept());
  await page.goto(`${hub.url}/hub/admin`);
  await page.waitForSelector('#users tbody tr');
  await page.click('#stop-all');
  await page.waitForSelector('#notice:has-text("Stopping")', { timeout: 60_000 });
  assert.is(await page.textContent('#notice'), `Stopping ${RUNNING} servers.`);
  await eventually(async () => (await hub.life.records.count()) === 0, 'every server record is gone', 60_000);
  assert.is(hub.life.spawner.containers.size, 0);
  const stops = hub.life.spawner.calls.filter((c) => c.startsWith('stop '));
  assert.is(new Set(stops).size, RUNNING, 'each server was stopped once');
  assert.not.ok(stops.includes('stop idle'));
});

t.run();
