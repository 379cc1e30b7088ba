/**
 * The hub's pages and edges, against a real Redis and Docker: health, login rules, `next=`,
 * headers, and errors that say what happened without leaking how.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { listen } from '../../src/cli/listen';
import { openRuntime } from '../../src/cli/runtime';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/log';
import { Client, signedIn } from '../helpers/client';
import { SECRET, startHub, type TestHub } from '../helpers/hub';
import { freePort } from '../helpers/redis';

const t = suite<{ hub: TestHub }>('hub pages and edges');

t.before(async (ctx) => {
  ctx.hub = await startHub();
  await ctx.hub.addUser('alice', 'alice-password');
});

t.after(async (ctx) => ctx.hub?.close());

t('health is 200 when Redis and Docker answer', async ({ hub }) => {
  const res = await fetch(`${hub.url}/hub/health`);
  assert.is(res.status, 200);
  assert.equal(await res.json(), { status: 'ok', redis: 'ok', docker: 'ok' });
});

t('health is 503 and says which part is down', async ({ hub }) => {
  const config = loadConfig({
    ...Object.fromEntries(
      Object.entries({
        REDIS_URL: hub.redis.url,
        HUB_SECRET: SECRET,
        DOCKER_HOST: 'unix:///nonexistent/docker.sock',
        HUB_NAME: 'btdown',
        HUB_SERVER_API_PORT: String(await freePort()),
      }),
    ),
  });
  const runtime = await openRuntime(config, silentLogger, { embeddedRedis: 'own' });
  const down = await listen(runtime, [SECRET], { port: 0, bind: '127.0.0.1', serverApiHost: '127.0.0.1' });
  try {
    const res = await fetch(`${down.url}/hub/health`);
    assert.is(res.status, 503);
    assert.equal(await res.json(), { status: 'unhealthy', redis: 'ok', docker: 'unreachable' });
  } finally {
    await down.close();
    await runtime.close();
  }
});

t("a login without the form's XSRF token is refused", async ({ hub }) => {
  const res = await fetch(`${hub.url}/hub/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'username=alice&password=alice-password',
    redirect: 'manual',
  });
  assert.is(res.status, 403);
  assert.not.ok(res.headers.get('set-cookie')?.includes('berth-session='));
});

t('a wrong password and an unknown user get the same answer', async ({ hub }) => {
  const wrong = await new Client(hub.url).login('alice', 'not-her-password');
  const unknown = await new Client(hub.url).login('mallory', 'whatever-password');
  assert.is(wrong.status, 403);
  assert.is(unknown.status, 403);
  const strip = (page: string) => page.replace(/(value|content)="[^"]*"/g, '');
  assert.is(strip(await wrong.text()).replace('alice', 'X'), strip(await unknown.text()).replace('mallory', 'X'));
});

t('login is case-insensitive for ASCII and lands on next= only when it is same-origin', async ({ hub }) => {
  const ok = await new Client(hub.url).login('ALICE', 'alice-password', '/user/alice/tree');
  assert.is(ok.status, 302);
  assert.is(ok.headers.get('location'), '/user/alice/tree');
  for (const next of ['//evil.example', 'https://evil.example/', '/\\evil.example', '///evil.example']) {
    const res = await new Client(hub.url).login('alice', 'alice-password', next);
    assert.is(res.headers.get('location'), '/hub/home', next);
  }
});

t('signing in replaces the session id (no fixation)', async ({ hub }) => {
  const client = new Client(hub.url);
  await client.xsrf();
  client.cookies.set('berth-session\0/', { name: 'berth-session', value: 'attacker-chosen', path: '/' });
  await client.login('alice', 'alice-password');
  assert.is.not(client.cookie('berth-session', '/'), 'attacker-chosen');
});

t('pages carry a CSP with frame-ancestors none and hardening headers', async ({ hub }) => {
  const res = await fetch(`${hub.url}/hub/login`);
  assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
  assert.is(res.headers.get('x-frame-options'), 'DENY');
  assert.is(res.headers.get('x-content-type-options'), 'nosniff');
  const cookie = res.headers.get('set-cookie') ?? '';
  assert.match(cookie, /_xsrf=.*path=\/hub\/.*samesite=lax.*httponly/i);
});

t('pages need a session; API calls without one get 403 JSON', async ({ hub }) => {
  const page = await fetch(`${hub.url}/hub/home`, { redirect: 'manual' });
  assert.is(page.status, 302);
  assert.is(page.headers.get('location'), '/hub/login?next=%2Fhub%2Fhome');
  const api = await fetch(`${hub.url}/hub/api/users/alice`);
  assert.is(api.status, 403);
  assert.equal(Object.keys(await api.json()).sort(), ['message', 'status']);
});

t('unknown API paths and malformed bodies are 4xx JSON, never a stack trace', async ({ hub }) => {
  const alice = await signedIn(hub.url, 'alice', 'alice-password');
  const missing = await alice.api('GET', '/nope');
  assert.is(missing.status, 404);
  assert.equal(await missing.json(), { status: 404, message: 'Not found' });
  const bad = await alice.request('/hub/api/users/alice/server', {
    method: 'POST',
    headers: { 'x-xsrftoken': alice.cookie('_xsrf')!, 'content-type': 'application/json' },
    body: '{"image": ',
  });
  assert.is(bad.status, 400);
  const text = await bad.text();
  assert.not.match(text, /at .*\.js:\d+/);
  assert.is(JSON.parse(text).message, 'The request body is malformed.');
});

t('the API root answers the version without auth', async ({ hub }) => {
  const res = await fetch(`${hub.url}/hub/api/`);
  assert.is(res.status, 200);
  assert.match((await res.json()).version, /^\d+\.\d+\.\d+/);
});

t.run();
