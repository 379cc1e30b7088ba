/**
 * The proxy against echo backends (HTTP and WebSocket) with a real Redis: what it forwards,
 * what it strips and injects, and what it refuses before anything is forwarded.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Keygrip from 'keygrip';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import WebSocket, { WebSocketServer } from 'ws';
import { sessionCookieReader } from '../../src/auth/session-cookie';
import { createLogger, silentLogger } from '../../src/log';
import { createProxy, type UserProxy } from '../../src/proxy/proxy';
import { ProxyReads } from '../../src/store/proxy-reads';
import { connectRedis } from '../../src/store/redis';
import { RedisRouteStore } from '../../src/store/routes';
import { SessionStore } from '../../src/store/sessions';
import { startRedis, type TestRedis } from '../helpers/redis';
import { eventually } from '../helpers/wait';

const SECRET = 'proxy-test-secret-0123456789abcdefghij';
const TOKEN = 'server-token-for-alice';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface Ctx {
  redis: TestRedis;
  routes: RedisRouteStore;
  sessions: SessionStore;
  proxy: UserProxy;
  front: http.Server;
  base: string;
  backend: http.Server;
  seen: Seen[];
  wsSeen: http.IncomingHttpHeaders[];
  cookieFor: Record<string, string>;
  logs: Array<Record<string, unknown>>;
}

const t = suite<Ctx>('proxy');

function listen(server: http.Server): Promise<number> {
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port)));
}

t.before(async (ctx) => {
  ctx.redis = await startRedis();
  const client = ctx.redis.client();
  ctx.routes = new RedisRouteStore(client);
  ctx.sessions = new SessionStore(client);
  ctx.seen = [];
  ctx.wsSeen = [];
  ctx.backend = http.createServer((req, res) => {
    if (req.url?.includes('/slow')) {
      setTimeout(() => res.writeHead(200).end('late'), 1500);
      return;
    }
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      ctx.seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json', 'x-backend': 'echo' });
      res.end(JSON.stringify({ url: req.url, body }));
    });
  });
  const wss = new WebSocketServer({ server: ctx.backend });
  wss.on('connection', (socket, req) => {
    ctx.wsSeen.push(req.headers);
    socket.on('message', (data) => socket.send(`echo:${data}`));
  });
  const backendPort = await listen(ctx.backend);
  await ctx.routes.set({ user: 'alice', target: `http://127.0.0.1:${backendPort}`, token: TOKEN });
  ctx.logs = [];
  ctx.proxy = createProxy({
    store: new ProxyReads(ctx.redis.client()),
    cookies: sessionCookieReader([SECRET]),
    log: createLogger('debug', {}, (line) => ctx.logs.push(JSON.parse(line))),
  });
  ctx.front = http.createServer((req, res) => {
    if (ctx.proxy.owns(req)) ctx.proxy.http(req, res);
    else res.writeHead(299).end('hub');
  });
  ctx.front.on('upgrade', (req, socket, head) => ctx.proxy.upgrade(req, socket, head));
  ctx.base = `http://127.0.0.1:${await listen(ctx.front)}`;
  const keygrip = new Keygrip([SECRET]);
  ctx.cookieFor = {};
  for (const user of ['alice', 'bob']) {
    const id = `session-of-${user}`;
    await ctx.sessions.set(id, { passport: { user } }, 60_000);
    ctx.cookieFor[user] = `berth-session=${id}; berth-session.sig=${keygrip.sign(`berth-session=${id}`)}; theme=dark`;
  }
});

t.after(async (ctx) => {
  ctx.proxy.close();
  ctx.front.close();
  ctx.backend.close();
  await ctx.redis.stop();
});

t.before.each((ctx) => {
  ctx.seen.length = 0;
  ctx.wsSeen.length = 0;
});

t('everything outside /user/ goes to the hub', async (ctx) => {
  assert.is((await fetch(`${ctx.base}/hub/home`)).status, 299);
});

t('the owner is forwarded: token injected, hub cookies stripped, body and path intact', async (ctx) => {
  const res = await fetch(`${ctx.base}/user/alice/api/contents?x=1`, {
    method: 'PUT',
    headers: { cookie: ctx.cookieFor.alice, authorization: 'token stolen', 'content-type': 'application/json' },
    body: '{"a":1}',
  });
  assert.is(res.status, 200);
  assert.is(res.headers.get('x-backend'), 'echo');
  const seen = ctx.seen[0];
  assert.is(seen.method, 'PUT');
  assert.is(seen.url, '/user/alice/api/contents?x=1');
  assert.is(seen.body, '{"a":1}');
  assert.is(seen.headers.authorization, `token ${TOKEN}`);
  assert.is(seen.headers.cookie, 'theme=dark');
  assert.is(seen.headers['x-forwarded-for'], '127.0.0.1');
});

t('a signed-in stranger gets 404 and nothing is forwarded', async (ctx) => {
  const res = await fetch(`${ctx.base}/user/alice/api/status`, { headers: { cookie: ctx.cookieFor.bob } });
  assert.is(res.status, 404);
  assert.is(ctx.seen.length, 0);
});

t('a stranger cannot tell a user with a server from no user at all', async (ctx) => {
  const a = await fetch(`${ctx.base}/user/alice/tree`, { headers: { cookie: ctx.cookieFor.bob } });
  const b = await fetch(`${ctx.base}/user/nosuchuser/tree`, { headers: { cookie: ctx.cookieFor.bob } });
  assert.is(a.status, b.status);
  assert.is(await a.text(), await b.text());
});

t('anonymous page loads go to the login page with next; anonymous API calls get 403', async (ctx) => {
  const page = await fetch(`${ctx.base}/user/alice/tree?x=1`, { headers: { accept: 'text/html' }, redirect: 'manual' });
  assert.is(page.status, 302);
  assert.is(page.headers.get('location'), '/hub/login?next=%2Fuser%2Falice%2Ftree%3Fx%3D1');
  const api = await fetch(`${ctx.base}/user/alice/api/status`);
  assert.is(api.status, 403);
  assert.is(ctx.seen.length, 0);
});

t('a forged or unsigned session cookie is anonymous', async (ctx) => {
  for (const cookie of ['berth-session=session-of-alice', 'berth-session=session-of-alice; berth-session.sig=AAAA']) {
    assert.is((await fetch(`${ctx.base}/user/alice/api/status`, { headers: { cookie } })).status, 403);
  }
  assert.is(ctx.seen.length, 0);
});

t('odd user segments reach nobody', async (ctx) => {
  for (const path of [
    '/user/ALICE/api/status',
    '/user/alice%2F../api/status',
    '/user//alice/api/status',
    '/user/al/api/status',
    '/user/%61lice/api/status',
  ]) {
    const res = await fetch(`${ctx.base}${path}`, { headers: { cookie: ctx.cookieFor.alice } });
    assert.is(res.status, 404, path);
  }
  assert.is(ctx.seen.length, 0);
});

t('cross-site state changes are refused before forwarding', async (ctx) => {
  const foreign = await fetch(`${ctx.base}/user/alice/api/contents`, {
    method: 'POST',
    headers: { cookie: ctx.cookieFor.alice, origin: 'http://evil.example' },
  });
  assert.is(foreign.status, 403);
  const fetchSite = await fetch(`${ctx.base}/user/alice/api/contents`, {
    method: 'POST',
    headers: { cookie: ctx.cookieFor.alice, 'sec-fetch-site': 'cross-site' },
  });
  assert.is(fetchSite.status, 403);
  assert.is(ctx.seen.length, 0);
  const same = await fetch(`${ctx.base}/user/alice/api/contents`, {
    method: 'POST',
    headers: { cookie: ctx.cookieFor.alice, origin: ctx.base, 'sec-fetch-site': 'same-origin' },
  });
  assert.is(same.status, 200);
});

t('the owner without a route: page loads go home, API calls get 503', async (ctx) => {
  await ctx.sessions.set('session-of-carol', { passport: { user: 'carol' } }, 60_000);
  const signature = new Keygrip([SECRET]).sign('berth-session=session-of-carol');
  const cookie = `berth-session=session-of-carol; berth-session.sig=${signature}`;
  const page = await fetch(`${ctx.base}/user/carol/tree`, {
    headers: { cookie, accept: 'text/html' },
    redirect: 'manual',
  });
  assert.is(page.status, 302);
  assert.is(page.headers.get('location'), '/hub/home');
  assert.is((await fetch(`${ctx.base}/user/carol/api/status`, { headers: { cookie } })).status, 503);
});

t('a route to a dead server answers 503', async (ctx) => {
  await ctx.routes.set({ user: 'bob', target: 'http://127.0.0.1:1', token: 'x' });
  const res = await fetch(`${ctx.base}/user/bob/api/status`, { headers: { cookie: ctx.cookieFor.bob } });
  assert.is(res.status, 503);
  await ctx.routes.delete('bob');
});

function wsOpen(url: string, headers: Record<string, string>): Promise<{ ws?: WebSocket; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => resolve({ ws }));
    ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode }));
    ws.on('error', () => resolve({ status: -1 }));
  });
}

t('WebSocket: the owner is connected, with the token injected and hub cookies stripped', async (ctx) => {
  const { ws } = await wsOpen(`${ctx.base.replace('http', 'ws')}/user/alice/api/kernels/k/channels`, {
    cookie: ctx.cookieFor.alice,
  });
  assert.ok(ws, 'upgrade accepted');
  const reply = await new Promise<string>((r) => {
    ws!.on('message', (d) => r(d.toString()));
    ws!.send('ping');
  });
  assert.is(reply, 'echo:ping');
  ws!.close();
  assert.is(ctx.wsSeen[0].authorization, `token ${TOKEN}`);
  assert.is(ctx.wsSeen[0].cookie, 'theme=dark');
});

t('WebSocket: strangers, anonymous callers and foreign origins are refused before forwarding', async (ctx) => {
  const url = `${ctx.base.replace('http', 'ws')}/user/alice/api/kernels/k/channels`;
  assert.is((await wsOpen(url, { cookie: ctx.cookieFor.bob })).status, 404);
  assert.is((await wsOpen(url, {})).status, 403);
  assert.is((await wsOpen(url, { cookie: ctx.cookieFor.alice, origin: 'http://evil.example' })).status, 403);
  assert.is(
    (await wsOpen(`${ctx.base.replace('http', 'ws')}/hub/socket`, { cookie: ctx.cookieFor.alice })).status,
    404,
  );
  assert.is(ctx.wsSeen.length, 0);
});

t('each proxied request is logged at debug level, without its query string', async (ctx) => {
  ctx.logs.length = 0;
  await fetch(`${ctx.base}/user/alice/api/status?secret=x`, { headers: { cookie: ctx.cookieFor.alice } });
  await eventually(async () => ctx.logs.some((l) => l.msg === 'proxied'), 'the request is logged');
  const line = ctx.logs.find((l) => l.msg === 'proxied')!;
  assert.equal(
    [line.level, line.user, line.method, line.path, line.status],
    ['debug', 'alice', 'GET', '/user/alice/api/status', 200],
  );
  assert.is(typeof line.ms, 'number');
});

t('a client that goes away mid-request is not an upstream failure', async (ctx) => {
  ctx.logs.length = 0;
  const abort = new AbortController();
  const request = fetch(`${ctx.base}/user/alice/slow`, {
    headers: { cookie: ctx.cookieFor.alice },
    signal: abort.signal,
  });
  await new Promise((r) => setTimeout(r, 200));
  abort.abort();
  await request.catch(() => undefined);
  await eventually(async () => ctx.logs.some((l) => l.msg === 'proxied'), 'the request ends');
  assert.equal(
    ctx.logs.filter((l) => l.level === 'warn'),
    [],
    'no "did not answer" warning',
  );
  assert.is(ctx.logs.find((l) => l.msg === 'proxied')?.complete, false);
});

t('Redis unreachable: 503, never forwarded', async (ctx) => {
  const deadRedis = connectRedis({ url: 'redis://127.0.0.1:1/0' });
  deadRedis.on('error', () => undefined);
  const proxy = createProxy({
    store: new ProxyReads(deadRedis),
    cookies: sessionCookieReader([SECRET]),
    log: silentLogger,
  });
  const server = http.createServer((req, res) => proxy.http(req, res));
  const port = await listen(server);
  const res = await fetch(`http://127.0.0.1:${port}/user/alice/api/status`, {
    headers: { cookie: ctx.cookieFor.alice },
  });
  assert.is(res.status, 503);
  assert.is(ctx.seen.length, 0);
  server.close();
  deadRedis.disconnect();
});

t.run();
