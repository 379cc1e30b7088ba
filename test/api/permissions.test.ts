/**
 * The permission matrix: every admin route tried as anonymous, as a plain user (session cookie),
 * as a user acting on themself, and as scoped tokens. Refusals happen before anything changes;
 * a user who may not see another gets 404 (as if there were no such user), one who may see but
 * not act, 403.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type Client, signedIn, tokenApi } from '../helpers/client';
import { containersOf } from '../helpers/docker';
import { startHub, type TestHub } from '../helpers/hub';

type Call = (method: string, path: string, body?: unknown) => Promise<Response>;

interface Ctx {
  hub: TestHub;
  anonymous: Call;
  bob: Call;
  bobClient: Client;
  culler: Call;
  aliceOnly: Call;
  bobToken: Call;
}

const t = suite<Ctx>('permission matrix');

t.before(async (ctx) => {
  ctx.hub = await startHub();
  await ctx.hub.addUser('root', 'root-password', true);
  await ctx.hub.addUser('alice', 'alice-password');
  await ctx.hub.addUser('bob', 'bob-password');
  await ctx.hub.runtime.groups.create('staff', ['alice']);
  const token = async (user: string, scopes: string[]) =>
    tokenApi(ctx.hub.url, (await ctx.hub.runtime.tokens.create(user, { note: 't', scopes })).token);
  ctx.anonymous = (method, path, body) =>
    fetch(`${ctx.hub.url}/hub/api${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  ctx.bobClient = await signedIn(ctx.hub.url, 'bob', 'bob-password');
  ctx.bob = (method, path, body) => ctx.bobClient.api(method, path, body);
  // What jupyterhub-idle-culler asks for, issued by an admin.
  ctx.culler = await token('root', ['list:users', 'read:users:activity', 'read:servers', 'delete:servers']);
  ctx.aliceOnly = await token('root', ['servers!user=alice', 'users!user=alice']);
  ctx.bobToken = await token('bob', ['inherit']);
});

t.after(async (ctx) => ctx.hub?.close());

/** Routes only admins may use, with a body where they take one. */
const ADMIN_ROUTES: Array<[string, string, unknown?]> = [
  ['GET', '/info'],
  ['GET', '/proxy'],
  ['POST', '/users', { usernames: ['mallory'] }],
  ['POST', '/users/mallory', {}],
  ['PATCH', '/users/alice', { admin: true }],
  ['DELETE', '/users/alice'],
  ['POST', '/users/alice/server', {}],
  ['DELETE', '/users/alice/server'],
  ['GET', '/users/alice/server/progress'],
  ['GET', '/users/alice/tokens'],
  ['POST', '/users/alice/tokens', {}],
  ['GET', '/users/alice/tokens/a1'],
  ['DELETE', '/users/alice/tokens/a1'],
  ['GET', '/users/alice'],
  ['POST', '/groups/hackers', {}],
  ['DELETE', '/groups/staff'],
  ['POST', '/groups/staff/users', { users: ['bob'] }],
  ['DELETE', '/groups/staff/users', { users: ['alice'] }],
  ['GET', '/groups/staff'],
];

async function unchanged(ctx: Ctx): Promise<void> {
  assert.is(await ctx.hub.runtime.users.get('mallory'), undefined);
  assert.is((await ctx.hub.runtime.users.get('alice'))?.admin, false);
  assert.equal((await ctx.hub.runtime.groups.get('staff'))?.users, ['alice']);
  assert.equal(await containersOf(ctx.hub.hubName), []);
}

t('anonymous: every route but GET / is 403', async (ctx) => {
  for (const [method, path, body] of [
    ...ADMIN_ROUTES,
    ['GET', '/users'],
    ['GET', '/user'],
    ['GET', '/groups'],
  ] as Array<[string, string, unknown?]>) {
    assert.is((await ctx.anonymous(method, path, body)).status, 403, `${method} ${path}`);
  }
  assert.is((await ctx.anonymous('GET', '/')).status, 200);
  await unchanged(ctx);
});

t('a plain user on another user: 404 (no hint they exist); on hub-wide routes: 403', async (ctx) => {
  for (const [method, path, body] of ADMIN_ROUTES) {
    const status = (await ctx.bob(method, path, body)).status;
    const userRoute = path.startsWith('/users/alice');
    assert.is(status, userRoute ? 404 : 403, `${method} ${path}`);
  }
  for (const [method, path, body] of ADMIN_ROUTES) {
    assert.is(
      (await ctx.bobToken(method, path, body)).status,
      path.startsWith('/users/alice') ? 404 : 403,
      `token: ${method} ${path}`,
    );
  }
  await unchanged(ctx);
});

t('a plain user lists only themself and sees no groups', async (ctx) => {
  assert.equal(
    (await (await ctx.bob('GET', '/users')).json()).map((u: { name: string }) => u.name),
    ['bob'],
  );
  assert.is((await ctx.bob('GET', '/groups')).status, 403);
});

t('a user acting on themself: reads, tokens, start and stop; never admin, never delete', async (ctx) => {
  assert.is((await ctx.bob('GET', '/users/bob')).status, 200);
  assert.is((await ctx.bob('GET', '/user')).status, 200);
  const made = await ctx.bob('POST', '/users/bob/tokens', { note: 'mine' });
  assert.is(made.status, 201);
  assert.is((await ctx.bob('GET', '/users/bob/tokens')).status, 200);
  assert.is((await ctx.bob('DELETE', `/users/bob/tokens/${(await made.json()).id}`)).status, 204);
  assert.is((await ctx.bob('PATCH', '/users/bob', { admin: true })).status, 403);
  assert.is((await ctx.bob('DELETE', '/users/bob')).status, 403);
  assert.is((await ctx.bob('POST', '/users/bob/server', {})).status, 201);
  assert.is((await ctx.bob('DELETE', '/users/bob/server')).status, 204);
  assert.is((await ctx.hub.runtime.users.get('bob'))?.admin, false);
});

t("the idle culler's scopes: list and read activity and servers, stop; nothing else", async (ctx) => {
  const list = await (await ctx.culler('GET', '/users')).json();
  assert.equal(list.map((u: { name: string }) => u.name).sort(), ['alice', 'bob', 'root']);
  assert.equal(
    Object.keys(list[0]).sort(),
    ['admin', 'kind', 'last_activity', 'name', 'servers'],
    'only the fields its scopes reveal',
  );
  assert.is((await ctx.culler('DELETE', '/users/alice/server')).status, 204);
  for (const [method, path, body] of [
    ['POST', '/users/alice/server', {}],
    ['POST', '/users', { usernames: ['mallory'] }],
    ['GET', '/users/alice/tokens'],
    ['PATCH', '/users/alice', { admin: true }],
    ['DELETE', '/users/alice'],
    ['GET', '/proxy'],
  ] as Array<[string, string, unknown?]>) {
    assert.is((await ctx.culler(method, path, body)).status, 403, `${method} ${path}`);
  }
  await unchanged(ctx);
});

t(
  'a token limited to one user (servers!user=alice, users!user=alice) acts on alice and cannot see bob',
  async (ctx) => {
    assert.is((await ctx.aliceOnly('GET', '/users/alice')).status, 200);
    assert.is((await ctx.aliceOnly('GET', '/users/bob')).status, 404);
    assert.is((await ctx.aliceOnly('POST', '/users/bob/server', {})).status, 404);
    assert.equal(
      (await (await ctx.aliceOnly('GET', '/users')).json()).map((u: { name: string }) => u.name),
      ['alice'],
    );
    assert.is((await ctx.aliceOnly('POST', '/users/alice/server', {})).status, 201);
    assert.is((await ctx.aliceOnly('DELETE', '/users/alice/server')).status, 204);
  },
);

t('group filters: read:users!group=staff reads staff members only', async (ctx) => {
  const staffReader = tokenApi(
    ctx.hub.url,
    (
      await ctx.hub.runtime.tokens.create('root', {
        note: 'g',
        scopes: ['read:users!group=staff', 'list:users!group=staff'],
      })
    ).token,
  );
  assert.is((await staffReader('GET', '/users/alice')).status, 200);
  assert.is((await staffReader('GET', '/users/bob')).status, 404);
  assert.equal(
    (await (await staffReader('GET', '/users')).json()).map((u: { name: string }) => u.name),
    ['alice'],
  );
});

t('only an admin can make or unmake an admin, even with admin:users on a token', async (ctx) => {
  assert.is((await ctx.bob('PATCH', '/users/bob', { admin: true })).status, 403);
  const rootToken = tokenApi(
    ctx.hub.url,
    (await ctx.hub.runtime.tokens.create('root', { note: 'a', scopes: ['admin:users'] })).token,
  );
  assert.is((await rootToken('PATCH', '/users/alice', { admin: true })).status, 200);
  assert.is((await rootToken('PATCH', '/users/alice', { admin: false })).status, 200);
});

t('cookie-authenticated calls need the XSRF header; token calls do not', async (ctx) => {
  const noXsrf = await ctx.bobClient.request('/hub/api/users/bob/tokens', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  assert.is(noXsrf.status, 403);
  assert.is((await ctx.bobToken('POST', '/users/bob/tokens', {})).status, 201);
});

t.run();
