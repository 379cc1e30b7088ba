/**
 * The REST API against JupyterHub's documented contract: status codes, model shapes and field
 * names, paging, filters and sorting, users, tokens, groups, the proxy table, metrics.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PAGINATION_TYPE } from '../../src/hub/api/paging';
import { VERSION } from '../../src/paths';
import { keys } from '../../src/store/keys';
import { signedIn, tokenApi } from '../helpers/client';
import { containersOf } from '../helpers/docker';
import { startHub, type TestHub } from '../helpers/hub';

interface Ctx {
  hub: TestHub;
  admin: ReturnType<typeof tokenApi>;
  adminToken: string;
}

const t = suite<Ctx>('REST API contract');
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

t.before(async (ctx) => {
  ctx.hub = await startHub();
  await ctx.hub.addUser('root', 'root-password', true);
  ctx.adminToken = (await ctx.hub.runtime.tokens.create('root', { note: 'test', scopes: ['inherit'] })).token;
  ctx.admin = tokenApi(ctx.hub.url, ctx.adminToken);
});

t.after(async (ctx) => ctx.hub?.close());

t(
  "GET / answers, without credentials, the JupyterHub API level Berth implements and Berth's own version",
  async ({ hub, admin }) => {
    const root = await fetch(`${hub.url}/hub/api/`);
    assert.is(root.status, 200);
    const { version, berth } = await root.json();
    assert.match(version, /^5\.\d+\.\d+$/, 'what JupyterHub clients compare (the idle culler wants 1.3.0 or later)');
    assert.is(berth, VERSION);
    assert.is(root.headers.get('x-jupyterhub-version'), version);
    assert.is((await fetch(`${hub.url}/hub/api/info`)).status, 403);
    const info = await (await admin('GET', '/info')).json();
    assert.ok(info.spawner.class && info.authenticator.class);
    assert.equal([info.version, info.berth], [version, VERSION]);
  },
);

t('GET /user says who the token belongs to, with its scopes', async ({ admin }) => {
  const me = await (await admin('GET', '/user')).json();
  assert.is(me.kind, 'user');
  assert.is(me.name, 'root');
  assert.is(me.admin, true);
  assert.ok(me.scopes.includes('admin:users') && me.scopes.includes('list:users'));
  assert.match(me.token_id, /^a\d+$/);
});

t(
  'POST /users creates users: 201 with the created ones only; 409 when all exist; 400 for a bad name',
  async ({ admin, hub }) => {
    const res = await admin('POST', '/users', { usernames: ['ann', 'ben', 'cat'] });
    assert.is(res.status, 201);
    const created = await res.json();
    assert.equal(
      created.map((u: { name: string }) => u.name),
      ['ann', 'ben', 'cat'],
    );
    for (const u of created) {
      assert.equal(Object.keys(u).sort(), [
        'admin',
        'created',
        'groups',
        'kind',
        'last_activity',
        'name',
        'pending',
        'roles',
        'server',
        'servers',
      ]);
      assert.match(u.created, ISO);
    }
    const some = await admin('POST', '/users', { usernames: ['cat', 'dan'] });
    assert.is(some.status, 201);
    assert.equal(
      (await some.json()).map((u: { name: string }) => u.name),
      ['dan'],
    );
    const all = await admin('POST', '/users', { usernames: ['ann', 'ben'] });
    assert.is(all.status, 409);
    assert.equal(await all.json(), { status: 409, message: 'All 2 users already exist' });
    const bad = await admin('POST', '/users', { usernames: ['eve', '../x'] });
    assert.is(bad.status, 400);
    assert.is(await hub.runtime.users.get('eve'), undefined, 'nothing is created when a name is bad');
    assert.is((await admin('POST', '/users', {})).status, 400);
  },
);

t('POST /users/<name>: 201, then 409', async ({ admin }) => {
  const res = await admin('POST', '/users/fay', { admin: false });
  assert.is(res.status, 201);
  assert.is((await res.json()).name, 'fay');
  assert.is((await admin('POST', '/users/fay')).status, 409);
});

t('GET /users without the pagination header: a plain list of models', async ({ admin }) => {
  const res = await admin('GET', '/users');
  assert.is(res.status, 200);
  const list = await res.json();
  assert.ok(Array.isArray(list));
  assert.equal(
    list.map((u: { name: string }) => u.name),
    ['root', 'ann', 'ben', 'cat', 'dan', 'fay'],
  );
});

t(
  'GET /users with the pagination header: items and _pagination, following next to the end',
  async ({ admin, hub, adminToken }) => {
    const first = await admin('GET', '/users?limit=4', undefined, { accept: PAGINATION_TYPE });
    const page = await first.json();
    assert.equal(Object.keys(page).sort(), ['_pagination', 'items']);
    assert.equal(page._pagination.offset, 0);
    assert.equal(page._pagination.limit, 4);
    assert.equal(page._pagination.total, 6);
    assert.is(page.items.length, 4);
    assert.is(page._pagination.next.offset, 4);
    assert.is(page._pagination.next.limit, 4);
    assert.match(page._pagination.next.url, new RegExp(`^${hub.url}/hub/api/users\\?`));
    const second = await (
      await fetch(page._pagination.next.url, {
        headers: { authorization: `token ${adminToken}`, accept: PAGINATION_TYPE },
      })
    ).json();
    assert.is(second.items.length, 2);
    assert.is(second._pagination.next, null);
  },
);

t('limit defaults to 50, is at most 200, and must be a number', async ({ admin, hub }) => {
  const names = Array.from({ length: 210 }, (_, i) => `bulk${String(i).padStart(3, '0')}`);
  assert.is((await admin('POST', '/users', { usernames: names })).status, 201);
  const dflt = await (await admin('GET', '/users', undefined, { accept: PAGINATION_TYPE })).json();
  assert.is(dflt.items.length, 50);
  assert.is(dflt._pagination.total, 216);
  const big = await (await admin('GET', '/users?limit=500', undefined, { accept: PAGINATION_TYPE })).json();
  assert.is(big.items.length, 200);
  assert.is((await admin('GET', '/users?offset=two')).status, 400);
  for (const name of names) await hub.runtime.users.remove(name);
});

t(
  'name_filter matches a part of the name, case-insensitively; sort by name or last activity',
  async ({ admin, hub }) => {
    const filtered = await (await admin('GET', '/users?name_filter=AN')).json();
    assert.equal(filtered.map((u: { name: string }) => u.name).sort(), ['ann', 'dan']);
    const desc = await (await admin('GET', '/users?sort=-name')).json();
    assert.equal(
      desc.map((u: { name: string }) => u.name),
      ['root', 'fay', 'dan', 'cat', 'ben', 'ann'],
    );
    await hub.runtime.activity.touch('cat', Date.now() - 1000);
    await hub.runtime.activity.touch('ben', Date.now());
    const byActivity = (await (await admin('GET', '/users?sort=-last_activity')).json()).map(
      (u: { name: string }) => u.name,
    );
    assert.equal(byActivity.slice(0, 2), ['ben', 'cat']);
    assert.is((await admin('GET', '/users?sort=size')).status, 400);
    await hub.runtime.activity.forget('cat');
    await hub.runtime.activity.forget('ben');
  },
);

t('state=ready|active|inactive filters by server state; anything else is 400', async ({ admin, hub }) => {
  assert.is((await admin('POST', '/users/ann/server')).status, 201);
  await hub.runtime.records.put({ user: 'ben', state: 'starting', image: 'python', started: new Date().toISOString() });
  const names = async (state: string) =>
    (await (await admin('GET', `/users?state=${state}`)).json()).map((u: { name: string }) => u.name).sort();
  assert.equal(await names('ready'), ['ann']);
  assert.equal(await names('active'), ['ann', 'ben']);
  assert.equal(await names('inactive'), ['cat', 'dan', 'fay', 'root']);
  assert.is((await admin('GET', '/users?state=sleepy')).status, 400);
  await hub.runtime.records.delete('ben');
});

t('the server model inside a user', async ({ admin }) => {
  const ann = await (await admin('GET', '/users/ann')).json();
  assert.is(ann.server, '/user/ann/');
  assert.is(ann.pending, null);
  const server = ann.servers[''];
  assert.equal(Object.keys(server).sort(), [
    'last_activity',
    'name',
    'pending',
    'progress_url',
    'ready',
    'started',
    'stopped',
    'url',
    'user_options',
  ]);
  assert.equal(
    [server.name, server.ready, server.pending, server.stopped, server.url],
    ['', true, null, false, '/user/ann/'],
  );
  assert.is(server.progress_url, '/hub/api/users/ann/server/progress');
  assert.match(server.started, ISO);
  assert.match(server.last_activity, ISO);
  assert.equal(server.user_options, { image: 'python' });
  assert.is((await admin('GET', '/users/nobody')).status, 404);
});

t('PATCH /users/<name>: admin flag, password; renaming is refused', async ({ admin, hub }) => {
  const res = await admin('PATCH', '/users/cat', { admin: true });
  assert.is(res.status, 200);
  assert.is((await res.json()).admin, true);
  await admin('PATCH', '/users/cat', { admin: false });
  assert.is((await admin('PATCH', '/users/cat', { name: 'kat' })).status, 400);
  assert.is((await admin('PATCH', '/users/cat', { colour: 'red' })).status, 400);
  assert.is((await admin('PATCH', '/users/cat', { password: 'cat-password' })).status, 200);
  const cat = await signedIn(hub.url, 'cat', 'cat-password');
  const session = cat.cookie('berth-session', '/')!;
  assert.is((await admin('PATCH', '/users/cat', { password: 'another-password' })).status, 200);
  assert.is(await hub.redis.client().exists(keys.session(session)), 0, 'a new password ends old sessions');
});

t('DELETE /users/<name>: 204, stops the server; deleting yourself is 400', async ({ admin, hub }) => {
  assert.is((await admin('DELETE', '/users/ann')).status, 204);
  assert.is(await hub.runtime.users.get('ann'), undefined);
  assert.equal(
    (await containersOf(hub.hubName)).filter((c) => c.Labels['berth.user'] === 'ann'),
    [],
  );
  assert.is((await admin('DELETE', '/users/ann')).status, 404);
  const self = await admin('DELETE', '/users/root');
  assert.is(self.status, 400);
  assert.is((await self.json()).message, 'Cannot delete yourself!');
});

t('tokens: made with a note, scopes and expiry, shown once, listed, read, revoked', async ({ admin, hub }) => {
  const made = await admin('POST', '/users/dan/tokens', {
    note: 'for the culler',
    expires_in: 3600,
    scopes: ['read:users!user=dan'],
  });
  assert.is(made.status, 201);
  const token = await made.json();
  assert.match(token.token, /^[0-9a-f]{64}$/);
  assert.match(token.id, /^a\d+$/);
  assert.is(token.kind, 'api_token');
  assert.is(token.user, 'dan');
  assert.is(token.note, 'for the culler');
  assert.equal(token.scopes, ['read:users!user=dan']);
  assert.match(token.created, ISO);
  assert.ok(Math.abs(Date.parse(token.expires_at) - Date.now() - 3600_000) < 10_000);
  const stored = JSON.stringify(await hub.redis.client().keys('*'));
  assert.not.ok(stored.includes(token.token), 'the token itself is not a key in Redis');
  const list = await (await admin('GET', '/users/dan/tokens')).json();
  assert.equal(Object.keys(list), ['api_tokens']);
  assert.equal(
    list.api_tokens.map((x: { id: string }) => x.id),
    [token.id],
  );
  assert.not.ok('token' in list.api_tokens[0]);
  assert.is((await (await admin('GET', `/users/dan/tokens/${token.id}`)).json()).id, token.id);
  assert.is((await admin('GET', `/users/fay/tokens/${token.id}`)).status, 404, "not fay's token");
  const dan = tokenApi(hub.url, token.token);
  assert.is((await dan('GET', '/users/dan')).status, 200);
  assert.is((await dan('GET', '/users/dan', undefined, { authorization: `Bearer ${token.token}` })).status, 200);
  assert.is((await dan('GET', '/users/fay')).status, 404, 'the token is limited to dan');
  assert.is((await admin('DELETE', `/users/dan/tokens/${token.id}`)).status, 204);
  assert.is((await dan('GET', '/users/dan')).status, 403, 'a revoked token is refused');
  assert.is((await admin('DELETE', `/users/dan/tokens/${token.id}`)).status, 404);
});

t('a token in the query string is never accepted', async ({ hub }) => {
  const { token } = await hub.runtime.tokens.create('root', { note: 'q', scopes: ['inherit'] });
  assert.is((await fetch(`${hub.url}/hub/api/users?token=${token}`)).status, 403);
  assert.is((await fetch(`${hub.url}/hub/api/user?token=${token}`)).status, 403);
});

t('a token cannot hold more than its owner; unknown scopes are 400', async ({ admin }) => {
  const beyond = await admin('POST', '/users/dan/tokens', { scopes: ['admin:users'] });
  assert.is(beyond.status, 400);
  assert.match((await beyond.json()).message, /Not assigning requested scopes admin:users not held by User dan/);
  assert.is((await admin('POST', '/users/dan/tokens', { scopes: ['fly:away'] })).status, 400);
  const dflt = await (await admin('POST', '/users/dan/tokens', {})).json();
  assert.equal(dflt.scopes, ['inherit']);
  assert.match(dflt.note, /^Requested via api by user root$/);
});

t('groups: create, list, read, members in and out, delete', async ({ admin }) => {
  const made = await admin('POST', '/groups/class1', { users: ['cat', 'dan'] });
  assert.is(made.status, 201);
  assert.equal(await made.json(), { kind: 'group', name: 'class1', users: ['cat', 'dan'], roles: [], properties: {} });
  assert.is((await admin('POST', '/groups/class1')).status, 409);
  assert.is((await admin('POST', '/groups/class2', { users: ['nobody'] })).status, 400);
  assert.equal(
    (await (await admin('GET', '/groups')).json()).map((g: { name: string }) => g.name),
    ['class1'],
  );
  assert.equal((await (await admin('POST', '/groups/class1/users', { users: ['fay'] })).json()).users, [
    'cat',
    'dan',
    'fay',
  ]);
  assert.equal((await (await admin('DELETE', '/groups/class1/users', { users: ['cat'] })).json()).users, [
    'dan',
    'fay',
  ]);
  assert.equal((await (await admin('GET', '/users/dan')).json()).groups, ['class1']);
  assert.is((await admin('GET', '/groups/nope')).status, 404);
  assert.is((await admin('DELETE', '/groups/class1')).status, 204);
  assert.is((await admin('GET', '/groups/class1')).status, 404);
});

t("GET /proxy: the routing table, without the servers' tokens", async ({ admin, hub }) => {
  assert.is((await admin('POST', '/users/dan/server')).status, 201);
  const table = await (await admin('GET', '/proxy')).json();
  assert.equal(Object.keys(table), ['/user/dan/']);
  assert.equal(table['/user/dan/'].data, { user: 'dan', server_name: '' });
  assert.match(table['/user/dan/'].target, /^http:\/\/127\.0\.0\.1:\d+$/);
  const token = (await hub.runtime.routes.get('dan'))!.token;
  assert.not.ok(JSON.stringify(table).includes(token));
});

t("/hub/metrics: Prometheus text with JupyterHub's names, for read:metrics only", async ({ hub }) => {
  assert.is((await fetch(`${hub.url}/hub/metrics`)).status, 403);
  const { token } = await hub.runtime.tokens.create('root', { note: 'm', scopes: ['read:metrics'] });
  const res = await fetch(`${hub.url}/hub/metrics`, { headers: { authorization: `token ${token}` } });
  assert.is(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  assert.match(text, /^# TYPE jupyterhub_total_users gauge\njupyterhub_total_users \d+$/m);
  assert.match(text, /^jupyterhub_running_servers 1$/m);
  assert.match(text, /^jupyterhub_active_users\{period="24h"\} \d+$/m);
  assert.match(text, /^jupyterhub_server_spawn_duration_seconds_bucket\{le="\+Inf",status="success"\} [1-9]\d*$/m);
  assert.match(
    text,
    /^jupyterhub_request_duration_seconds_count\{method="GET",handler="\/hub\/api\/users",code="200"\} \d+$/m,
  );
  // Every status label is there from the start, as in JupyterHub, even those that never happened.
  for (const status of ['failure', 'already-pending', 'throttled', 'too-many-users']) {
    assert.match(
      text,
      new RegExp(`^jupyterhub_server_spawn_duration_seconds_count\\{status="${status}"\\} \\d+$`, 'm'),
      status,
    );
  }
  for (const name of ['server_stop_seconds', 'proxy_add_duration_seconds', 'proxy_delete_duration_seconds']) {
    assert.match(text, new RegExp(`^jupyterhub_${name}_count\\{status="failure"\\} 0$`, 'm'), name);
  }
  assert.match(text, /^jupyterhub_server_poll_duration_seconds_count\{status="stopped"\} \d+$/m);
  assert.match(text, /^berth_pending_servers 0$/m);
  assert.not.match(text, /jupyterhub_pending_servers/, "Berth's own metrics are berth_*");
  // prom-client's process and Node metrics back the memory claims.
  const rss = Number(/^process_resident_memory_bytes (\d+)$/m.exec(text)?.[1]);
  assert.ok(rss > 10 * 1024 ** 2 && rss < 2 * 1024 ** 3, `resident memory ${rss}`);
  assert.match(text, /^nodejs_eventloop_lag_seconds [\d.e-]+$/m);
  assert.match(text, /^nodejs_heap_size_used_bytes \d+$/m);
});

t('errors are {status, message}', async ({ admin }) => {
  const res = await admin('GET', '/users/nobody');
  assert.equal(await res.json(), { status: 404, message: 'No such user: nobody' });
  const wrongMethod = await admin('PUT', '/users/nobody');
  assert.is(wrongMethod.status, 405);
  assert.match(wrongMethod.headers.get('allow') ?? '', /DELETE/);
  assert.equal(await wrongMethod.json(), {
    status: 405,
    message: `PUT is not allowed here; allowed: ${wrongMethod.headers.get('allow')}.`,
  });
});

t.run();
