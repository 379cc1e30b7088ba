/**
 * The walking skeleton against a real Redis and a real Docker engine: sign in, start a server,
 * reach it only through the proxy (HTTP and a kernel over WebSocket), stop it, sign out.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import WebSocket from 'ws';
import { keys } from '../../src/store/keys';
import type { Client } from '../helpers/client';
import { containersOf, docker } from '../helpers/docker';
import { hubWithAliceAndBob, type TestHub } from '../helpers/hub';
import { runCode } from '../helpers/kernel';

interface Ctx {
  hub: TestHub;
  alice: Client;
  bob: Client;
}

const t = suite<Ctx>('spawn through the hub, real Docker and Redis');

t.before(async (ctx) => {
  Object.assign(ctx, await hubWithAliceAndBob());
});

t.after(async (ctx) => {
  await ctx.hub?.close();
});

t('starting needs the XSRF header when authenticated by cookie', async (ctx) => {
  const res = await ctx.alice.request('/hub/api/users/alice/server', { method: 'POST' });
  assert.is(res.status, 403);
  assert.match((await res.json()).message, /x-xsrftoken/i);
  assert.is((await containersOf(ctx.hub.hubName)).length, 0);
});

t("a user cannot start another user's server", async (ctx) => {
  const res = await ctx.bob.api('POST', '/users/alice/server');
  assert.is(res.status, 404);
  assert.is((await containersOf(ctx.hub.hubName)).length, 0);
});

t('start: 201, a labelled container, a route in Redis, the status API through the proxy', async (ctx) => {
  const res = await ctx.alice.api('POST', '/users/alice/server');
  assert.is(res.status, 201, await res.text());
  const [container] = await containersOf(ctx.hub.hubName);
  assert.ok(container, 'a container exists');
  assert.is(container.Labels['berth.user'], 'alice');
  assert.is(container.Labels['berth.hub'], ctx.hub.hubName);
  assert.is(container.Labels['berth.image'], 'python');
  assert.ok(container.Labels['berth.version']);
  assert.is(container.Names[0], `/${ctx.hub.hubName}-alice`);
  const route = JSON.parse((await ctx.hub.redis.client().get(keys.route('alice')))!);
  assert.match(route.target, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.is(route.token.length, 64);
  const status = await ctx.alice.request('/user/alice/api/status');
  assert.is(status.status, 200);
  assert.ok('kernels' in (await status.json()));
  const model = await (await ctx.alice.api('GET', '/users/alice')).json();
  assert.is(model.server, '/user/alice/');
  assert.is(model.servers[''].ready, true);
});

t('the container publishes its port on 127.0.0.1 only, and answers 403 there without the token', async (ctx) => {
  const [container] = await containersOf(ctx.hub.hubName);
  const ports = container.Ports.filter((p) => p.PrivatePort === 8888);
  assert.ok(ports.length > 0);
  for (const p of ports) assert.is(p.IP, '127.0.0.1');
  const direct = `http://127.0.0.1:${ports[0].PublicPort}/user/alice/api/status`;
  assert.is((await fetch(direct)).status, 403);
  assert.is((await fetch(direct, { headers: { authorization: 'token wrong' } })).status, 403);
});

t('the token never reaches the browser', async (ctx) => {
  const { token } = JSON.parse((await ctx.hub.redis.client().get(keys.route('alice')))!);
  for (const path of ['/user/alice/tree', '/user/alice/api/status']) {
    const res = await ctx.alice.request(path, { headers: { accept: 'text/html' } });
    const headers = JSON.stringify([...res.headers]);
    assert.not.ok((await res.text()).includes(token), `${path} body`);
    assert.not.ok(headers.includes(token), `${path} headers`);
  }
});

t('python runs in the kernel over a WebSocket through the proxy', async (ctx) => {
  const out = await runCode(ctx.alice, 'alice', 'print(6*7)');
  assert.is(out.stdout, '42\n');
});

t("bob gets 404 on alice's server, over HTTP and over a WebSocket upgrade", async (ctx) => {
  assert.is((await ctx.bob.request('/user/alice/api/status')).status, 404);
  assert.is((await ctx.bob.request('/user/alice/tree', { headers: { accept: 'text/html' } })).status, 404);
  const kernels = await ctx.alice.request('/user/alice/api/kernels', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  const { id } = await kernels.json();
  const status = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`${ctx.hub.url.replace('http', 'ws')}/user/alice/api/kernels/${id}/channels`, {
      headers: { cookie: ctx.bob.cookieHeader('/user/alice/') },
    });
    ws.on('open', () => resolve(101));
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve(-1));
  });
  assert.is(status, 404);
  await ctx.alice.request(`/user/alice/api/kernels/${id}`, { method: 'DELETE' });
});

t('a second start while running is a 400 and makes no second container', async (ctx) => {
  const res = await ctx.alice.api('POST', '/users/alice/server');
  assert.is(res.status, 400);
  assert.match((await res.json()).message, /already running/);
  assert.is((await containersOf(ctx.hub.hubName)).length, 1);
});

t('an image outside the catalogue is a 400 and no container', async (ctx) => {
  for (const image of ['alpine', 'debian:bookworm', 'berth/python:latest', '../python']) {
    const res = await ctx.bob.api('POST', '/users/bob/server', { image });
    assert.is(res.status, 400, image);
    assert.match((await res.json()).message, /not in the catalogue/);
  }
  assert.not.ok((await containersOf(ctx.hub.hubName)).some((c) => c.Labels['berth.user'] === 'bob'));
});

t('stop: 204, container and route gone, the proxy no longer forwards', async (ctx) => {
  const res = await ctx.alice.api('DELETE', '/users/alice/server');
  assert.is(res.status, 204);
  assert.is((await containersOf(ctx.hub.hubName)).length, 0);
  assert.is(await ctx.hub.redis.client().exists(keys.route('alice')), 0);
  assert.is((await ctx.alice.request('/user/alice/api/status')).status, 503);
  const volume = await docker.getVolume(`${ctx.hub.hubName}-home-alice`).inspect();
  assert.is(volume.Labels['berth.user'], 'alice');
  assert.is((await ctx.alice.api('DELETE', '/users/alice/server')).status, 204, 'stopping twice is fine');
});

t('logout removes the session from Redis', async (ctx) => {
  const id = ctx.alice.cookie('berth-session')!;
  assert.ok(await ctx.hub.redis.client().exists(keys.session(id)));
  const res = await ctx.alice.logout();
  assert.is(res.status, 302);
  assert.is(await ctx.hub.redis.client().exists(keys.session(id)), 0);
  assert.is((await ctx.alice.api('GET', '/users/alice')).status, 403);
});

t.run();
