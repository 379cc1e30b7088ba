/**
 * Accounts and hostile input against a real hub: the username grammar wherever a name comes in,
 * one generic login error with the same work whether or not the user exists, login rate limits
 * per user and per address, HUB_SECRET rules, and size limits and malformed input answered with
 * a 4xx (never a 500 or a stack trace), with huge values cut before they reach the log.
 */
import net from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { berth } from '../helpers/cli';
import { Client, tokenApi } from '../helpers/client';
import { startHub, type TestHub } from '../helpers/hub';

interface Ctx {
  hub: TestHub;
  logs: string[];
  admin: ReturnType<typeof tokenApi>;
}

const t = suite<Ctx>('security: accounts and input');

t.before(async (ctx) => {
  ctx.logs = [];
  ctx.hub = await startHub({}, { logs: ctx.logs });
  await ctx.hub.addUser('alice', 'alice-password');
  await ctx.hub.addUser('root', 'root-password', true);
  ctx.admin = tokenApi(
    ctx.hub.url,
    (await ctx.hub.runtime.tokens.create('root', { note: 't', scopes: ['inherit'] })).token,
  );
});

t.after(async (ctx) => ctx.hub?.close());

const HOSTILE_NAMES = [
  '../x',
  'a/b',
  '%2e%2e',
  '..',
  'аlice' /* Cyrillic а */,
  'ＡＬＩＣＥ',
  '\u212Aevin',
  'a'.repeat(64),
  'a\u0000b',
  ' alice',
  'alice ',
  'al ice',
  'alice\n',
  '<b>x</b>',
  'a;b',
];

t(
  'hostile usernames are refused by the API, the CLI and the login form; A and a are one user',
  async ({ hub, admin }) => {
    for (const name of HOSTILE_NAMES) {
      assert.is((await admin('POST', '/users', { usernames: [name] })).status, 400, JSON.stringify(name));
      // ('..' as a path segment is resolved away by the client before it is sent)
      if (name !== '..')
        assert.is((await admin('POST', `/users/${encodeURIComponent(name)}`)).status, 400, JSON.stringify(name));
      if (name.includes('\u0000')) continue; // a command line cannot carry NUL at all
      const cli = await berth(['user', 'add', name], { REDIS_URL: hub.redis.url }, 'password123\n');
      assert.is(cli.code, 1, JSON.stringify(name));
    }
    const all = (await hub.runtime.users.list()).map((u) => u.name).sort();
    assert.equal(all, ['alice', 'root']);
    assert.is((await admin('POST', '/users', { usernames: ['ALICE'] })).status, 409, 'ALICE is alice, who exists');
    const upper = await new Client(hub.url).login('ALICE', 'alice-password');
    assert.is(upper.status, 302);
    const lookalike = await new Client(hub.url).login('аlice', 'alice-password');
    assert.is(lookalike.status, 403);
  },
);

async function loginMs(hub: TestHub, name: string): Promise<number> {
  const client = new Client(hub.url);
  await client.xsrf();
  const start = process.hrtime.bigint();
  await client.login(name, 'not-the-password');
  return Number(process.hrtime.bigint() - start) / 1e6;
}

t('a wrong password and an unknown user: the same answer, and the same scrypt work', async ({ hub }) => {
  const known: number[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < 4; i++) {
    known.push(await loginMs(hub, 'alice'));
    unknown.push(await loginMs(hub, `ghost${i}`));
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  // Without the decoy hash an unknown user would answer in about a millisecond.
  assert.ok(median(unknown) > median(known) / 3, `unknown ${median(unknown)} ms vs known ${median(known)} ms`);
  await hub.redis
    .client()
    .eval("for _, k in ipairs(redis.call('KEYS', 'berth:login:*')) do redis.call('DEL', k) end", 0);
});

t('failed logins are limited per user, with a growing wait, even for the right password', async ({ hub }) => {
  for (let i = 0; i < 5; i++) assert.is((await new Client(hub.url).login('alice', 'wrong-password')).status, 403);
  const sixth = await new Client(hub.url).login('alice', 'wrong-password');
  assert.is(sixth.status, 403, 'the sixth failure is still counted');
  const blocked = await new Client(hub.url).login('alice', 'alice-password');
  assert.is(blocked.status, 429);
  assert.ok(Number(blocked.headers.get('retry-after')) >= 1);
  assert.match(await blocked.text(), /Too many failed sign-ins/);
  const wait = Number(blocked.headers.get('retry-after'));
  await new Promise((r) => setTimeout(r, wait * 1000 + 100));
  assert.is(
    (await new Client(hub.url).login('alice', 'alice-password')).status,
    302,
    'after the wait the right password works',
  );
  assert.is((await new Client(hub.url).login('alice', 'wrong-password')).status, 403, 'and the count starts again');
  await hub.redis
    .client()
    .eval("for _, k in ipairs(redis.call('KEYS', 'berth:login:*')) do redis.call('DEL', k) end", 0);
});

t('failed logins are limited per client address, across usernames', async ({ hub }) => {
  for (let i = 0; i < 21; i++) await new Client(hub.url).login(`guess${i}`, 'wrong-password');
  const res = await new Client(hub.url).login('root', 'root-password');
  assert.is(res.status, 429);
  assert.ok((await hub.redis.client().keys('berth:login:address:*')).length === 1);
  await hub.redis
    .client()
    .eval("for _, k in ipairs(redis.call('KEYS', 'berth:login:*')) do redis.call('DEL', k) end", 0);
});

t('a weak HUB_SECRET stops the hub from starting', async () => {
  const r = await berth(['serve'], { HUB_SECRET: 'password', HUB_PORT: '0' });
  assert.is(r.code, 1);
  assert.match(r.stderr, /^berth: HUB_SECRET: is too weak/);
});

function raw(hub: TestHub, request: string): Promise<string> {
  const { port } = new URL(hub.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.end(request));
    let out = '';
    socket.on('data', (d: Buffer) => (out += d.toString()));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
  });
}

t(
  'size limits: bodies, forms and headers; malformed JSON, forms, UTF-8 and URLs are 4xx without a trace',
  async ({ hub }) => {
    const { token } = await hub.runtime.tokens.create('root', { note: 'm', scopes: ['inherit'] });
    const alice = new Client(hub.url);
    await alice.login('alice', 'alice-password');
    const xsrf = alice.cookie('_xsrf')!;
    const big = await alice.request('/hub/api/users/alice/server', {
      method: 'POST',
      headers: { 'x-xsrftoken': xsrf, 'content-type': 'application/json' },
      body: JSON.stringify({ image: 'x'.repeat(70_000) }),
    });
    assert.is(big.status, 413);
    const bigForm = await new Client(hub.url).request('/hub/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `username=${'a'.repeat(20_000)}`,
    });
    assert.is(bigForm.status, 413);
    const header = await fetch(`${hub.url}/hub/login`, { headers: { 'x-big': 'a'.repeat(20_000) } }).then(
      (r) => r.status,
      () => 431,
    );
    assert.is(header, 431);
    const cases: Array<[string, RequestInit]> = [
      ['/hub/api/users', { method: 'POST', body: '{"usernames": [', headers: { 'content-type': 'application/json' } }],
      [
        '/hub/api/users',
        {
          method: 'POST',
          body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
          headers: { 'content-type': 'application/json' },
        },
      ],
      ['/hub/api/users', { method: 'POST', body: '"just a string"', headers: { 'content-type': 'application/json' } }],
      ['/hub/api/users/%E0%A4%A', { method: 'GET' }],
      ['/hub/api/users?offset=%ZZ', { method: 'GET' }],
      [
        '/hub/api/users/alice/server',
        { method: 'POST', body: '[1,2]', headers: { 'content-type': 'application/json' } },
      ],
    ];
    for (const [path, init] of cases) {
      const res = await fetch(`${hub.url}${path}`, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), authorization: `token ${token}` },
      });
      assert.ok(res.status >= 400 && res.status < 500, `${path}: ${res.status}`);
      assert.not.match(await res.text(), /at .*\.js:\d+|Error:|stack/i, path);
    }
    const form = await raw(
      hub,
      'POST /hub/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
        'Content-Length: 9\r\nConnection: close\r\n\r\n%ZZ=%E0%A',
    );
    assert.match(form, /^HTTP\/1\.1 403/, 'a garbled form is just a form without a valid token');
    const broken = await raw(hub, 'GET /hub/login HTTP/1.1\r\nHost x\r\n\r\n');
    assert.match(broken, /^HTTP\/1\.1 400/);
  },
);

t('a huge username is cut before it is logged', async ({ hub, logs }) => {
  logs.length = 0;
  await new Client(hub.url).login(`mallory${'x'.repeat(10_000)}`, 'whatever-password');
  assert.ok(logs.length > 0);
  for (const line of logs) assert.ok(line.length < 2000, `a log line of ${line.length} characters`);
  assert.ok(logs.some((l) => l.includes('mallory') && l.includes('chars)')));
});

t.run();
