/**
 * The Docker engine goes away while the hub runs (an admin restarts dockerd) and comes back:
 * pages still render and say that servers cannot be started or stopped right now, the API
 * answers 503 with the same words, and everything recovers by itself, the open page included,
 * without restarting the hub. The engine sits behind a gate (helpers/engine-gate.ts), so the
 * real one keeps running for everything else.
 */
import type { Browser, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ENGINE_DOWN } from '../../src/errors';
import { launchChromium, signedInPage } from '../helpers/browser';
import { type Client, signedIn } from '../helpers/client';
import { type EngineGate, engineGate } from '../helpers/engine-gate';
import { startHub, type TestHub } from '../helpers/hub';
import { eventually } from '../helpers/wait';

interface Ctx {
  gate: EngineGate;
  hub: TestHub;
  alice: Client;
  root: Client;
  browser: Browser;
  page: Page;
}

const t = suite<Ctx>('the Docker engine goes away and comes back');

t.before(async (ctx) => {
  ctx.gate = await engineGate();
  ctx.hub = await startHub({ DOCKER_HOST: ctx.gate.dockerHost });
  await ctx.hub.addUser('alice', 'alice-password');
  await ctx.hub.addUser('root', 'root-password', true);
  ctx.alice = await signedIn(ctx.hub.url, 'alice', 'alice-password');
  ctx.root = await signedIn(ctx.hub.url, 'root', 'root-password');
  ctx.browser = await launchChromium();
  ctx.page = await signedInPage(ctx.browser, ctx.hub.url, 'alice', 'alice-password');
});

t.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.gate?.open();
  await ctx.hub?.close();
  await ctx.gate?.remove();
});

t('while the engine is away, pages render and say why servers cannot start or stop', async (ctx) => {
  await ctx.gate.close();
  const home = await ctx.alice.request('/hub/home');
  assert.is(home.status, 200);
  const text = await home.text();
  assert.ok(text.includes('id="engine-down"'), 'the home page says the engine is away');
  assert.not.ok(text.includes('id="start"'), 'and offers no start');
  assert.not.match(text, /docker\.sock|ENOENT|Cannot connect/, 'and shows no raw engine error');
  const spawn = await ctx.alice.request('/hub/spawn');
  assert.is(spawn.status, 200);
  assert.ok((await spawn.text()).includes('id="engine-down"'));
  const admin = await ctx.root.request('/hub/admin');
  assert.is(admin.status, 200);
  assert.ok((await admin.text()).includes('id="engine-down"'));
  const users = await ctx.root.api('GET', '/users');
  assert.is(users.status, 200, 'what needs only Redis still works');
});

t('the API answers 503 with the same words, and the health check names the engine', async (ctx) => {
  const start = await ctx.alice.api('POST', '/users/alice/server');
  assert.is(start.status, 503);
  assert.equal(await start.json(), { status: 503, message: ENGINE_DOWN });
  assert.is(await ctx.hub.runtime.users.lastError('alice'), undefined, 'a refused start failed no server');
  const health = await fetch(`${ctx.hub.url}/hub/health`);
  assert.is(health.status, 503);
  assert.equal(await health.json(), { status: 'unhealthy', redis: 'ok', docker: 'unreachable' });
});

t('when the engine is back, the open page reloads by itself and a start works, without a hub restart', async (ctx) => {
  await ctx.page.goto(`${ctx.hub.url}/hub/home`);
  assert.ok(await ctx.page.isVisible('#engine-down'));
  await ctx.gate.open();
  await ctx.page.waitForSelector('#start', { timeout: 20_000 });
  assert.not.ok(await ctx.page.isVisible('#engine-down'));
  assert.is((await fetch(`${ctx.hub.url}/hub/health`)).status, 200);
  const start = await ctx.alice.api('POST', '/users/alice/server');
  assert.is(start.status, 201);
  await eventually(async () => (await ctx.alice.request('/user/alice/api/status')).status === 200, 'alice answers');
  assert.is((await ctx.alice.api('DELETE', '/users/alice/server')).status, 204);
});

t.run();
