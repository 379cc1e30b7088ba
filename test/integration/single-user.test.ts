/**
 * A stock JupyterHub single-user image (images/stock-singleuser: Debian's jupyterhub-singleuser,
 * nothing of Berth in it) under Berth: it starts unchanged, does the OAuth dance with the hub,
 * reports activity, runs code; its API token holds its server's scopes only and works from
 * inside the container through the hub's API for servers; the OAuth endpoints refuse what
 * JupyterHub refuses; shared links land on the right server.
 */
import http from 'node:http';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from '../../src/paths';
import { type Client, follow, signedIn, tokenApi } from '../helpers/client';
import { containersOf, docker } from '../helpers/docker';
import { startHub, type TestHub } from '../helpers/hub';
import { runCode } from '../helpers/kernel';
import { mustRun } from '../helpers/run';
import { eventually } from '../helpers/wait';

interface Ctx {
  hub: TestHub;
  logs: string[];
  alice: Client;
  bob: Client;
  /** alice's server's own API token, as its container has it. */
  serverToken: string;
}

const t = suite<Ctx>('stock JupyterHub images, unchanged');

/** The status of GET `path` sent exactly as written (no URL normalisation), with `cookie`. */
function rawGet(base: string, path: string, cookie: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}/`, { path, headers: { cookie } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A variable of `user`'s server container's environment. */
async function containerEnv(hub: TestHub, user: string, name: string): Promise<string> {
  const [c] = (await containersOf(hub.hubName)).filter((x) => x.Labels['berth.user'] === user);
  const env = (await docker.getContainer(c.Id).inspect()).Config.Env;
  return env.find((e) => e.startsWith(`${name}=`))?.slice(name.length + 1) ?? '';
}

/** GET the authorize URL a server sends people to, as `client`; resolves the hub's answer. */
function authorize(client: Client, user: string, extra: Record<string, string> = {}): Promise<Response> {
  const query = new URLSearchParams({
    client_id: `jupyterhub-user-${user}`,
    redirect_uri: `/user/${user}/oauth_callback`,
    response_type: 'code',
    state: 'the-state',
    ...extra,
  });
  return client.request(`/hub/api/oauth2/authorize?${query}`);
}

function exchange(hub: TestHub, fields: Record<string, string>): Promise<Response> {
  return fetch(`${hub.url}/hub/api/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', ...fields }).toString(),
  });
}

t.before(async (ctx) => {
  ctx.logs = [];
  // Admin access on, for the one caller whose tokens reach others' servers.
  ctx.hub = await startHub({ HUB_ADMIN_ACCESS: 'yes' }, { logs: ctx.logs });
  await ctx.hub.addUser('root', 'root-password', true);
  await ctx.hub.addUser('alice', 'alice-password');
  await ctx.hub.addUser('bob', 'bob-password');
  ctx.alice = await signedIn(ctx.hub.url, 'alice', 'alice-password');
  ctx.bob = await signedIn(ctx.hub.url, 'bob', 'bob-password');
});

t.after(async (ctx) => ctx.hub?.close());

t(
  'the stock image starts unchanged and signs alice in through the hub: OAuth, her cookie, her notebook',
  async (ctx) => {
    assert.is((await ctx.alice.api('POST', '/users/alice/server', { image: 'stock' })).status, 201);
    ctx.serverToken = await containerEnv(ctx.hub, 'alice', 'JUPYTERHUB_API_TOKEN');
    assert.match(ctx.serverToken, /^[0-9a-f]{64}$/);
    const { res, visited } = await follow(ctx.alice, '/user/alice/tree');
    assert.is(res.status, 200, visited.join(' → '));
    assert.match(visited[1], /^\/hub\/api\/oauth2\/authorize\?client_id=jupyterhub-user-alice&redirect_uri=/);
    assert.match(visited[2], /^\/user\/alice\/oauth_callback\?code=[\w-]+&state=/);
    assert.is(visited.at(-1), '/user/alice/tree');
    assert.ok(ctx.alice.cookie('jupyterhub-user-alice', '/user/alice/'), 'the server set its own cookie');
    assert.is((await runCode(ctx.alice, 'alice', 'print(6*7)')).stdout, '42\n');
  },
);

t('jupyterhub-singleuser reports its activity to the hub with its own token', async (ctx) => {
  await eventually(
    async () => ctx.logs.some((l) => /"path":"\/hub\/api\/users\/alice\/activity"/.test(l) && /"status":200/.test(l)),
    'the server has reported activity',
    30_000,
  );
  const at = new Date(Date.now() + 1000).toISOString();
  const reported = await tokenApi(ctx.hub.url, ctx.serverToken)('POST', '/users/alice/activity', {
    last_activity: at,
    servers: { '': { last_activity: at } },
  });
  assert.is(reported.status, 200);
  const model = await (await ctx.alice.api('GET', '/users/alice')).json();
  assert.is(model.servers[''].last_activity, at);
});

t("the server's API token holds that server's scopes, and nothing of anyone else's", async (ctx) => {
  const api = tokenApi(ctx.hub.url, ctx.serverToken);
  const me = await (await api('GET', '/user')).json();
  assert.is(me.name, 'alice');
  assert.equal(me.scopes.filter((s: string) => /^(access:servers|users:activity)/.test(s)).sort(), [
    'access:servers!user=alice',
    'users:activity!user=alice',
  ]);
  assert.is((await api('GET', '/users/bob')).status, 404);
  assert.is((await api('POST', '/users/bob/activity', { last_activity: new Date().toISOString() })).status, 404);
  // Refused as JupyterHub refuses: 404 where the token may not even read the user, 403 otherwise.
  const refused = (status: number) => status === 403 || status === 404;
  assert.ok(refused((await api('POST', '/users/alice/tokens', {})).status), 'it makes no tokens');
  assert.ok(refused((await api('POST', '/users/alice/server')).status), 'it starts no servers');
  assert.ok(refused((await api('DELETE', '/users/alice/server')).status), 'it stops none either');
  assert.ok(refused((await api('GET', '/users')).status), 'it lists no one');
});

t(
  'from inside the container, $JUPYTERHUB_API_TOKEN reads /hub/api/user; the hub shows nothing else there',
  async (ctx) => {
    const code = [
      'import json, os, urllib.request, urllib.error',
      'api = os.environ["JUPYTERHUB_API_URL"]',
      'def get(url, token=True):',
      '    req = urllib.request.Request(url, headers={"Authorization": "token " + os.environ["JUPYTERHUB_API_TOKEN"]} if token else {})',
      '    try:',
      '        with urllib.request.urlopen(req, timeout=10) as r: return r.status, json.loads(r.read() or b"null")',
      '    except urllib.error.HTTPError as e: return e.code, None',
      'hub = api[: -len("/hub/api")]',
      'import socket, urllib.parse',
      'def front(port):',
      '    try:',
      '        socket.create_connection((urllib.parse.urlparse(api).hostname, port), timeout=3).close()',
      '        return "open"',
      '    except Exception as e: return type(e).__name__',
      'print(json.dumps({"me": get(api + "/user")[1]["name"], "bob": get(api + "/users/bob")[0],',
      '  "home": get(hub + "/hub/home", False)[0], "proxy": get(hub + "/user/alice/api", False)[0],',
      `  "front": front(${new URL(ctx.hub.url).port})}))`,
    ].join('\n');
    const { front, ...out } = JSON.parse((await runCode(ctx.alice, 'alice', code)).stdout);
    assert.equal(out, { me: 'alice', bob: 404, home: 404, proxy: 404 });
    assert.is.not(front, 'open', "the hub's own port is not open to containers");
  },
);

t(
  "an API token reaches a stock server only when it can do nothing more: the owner's, or one for that server",
  async (ctx) => {
    const { tokens } = ctx.hub.runtime;
    const status = (token: string) =>
      fetch(`${ctx.hub.url}/user/alice/api/status`, { headers: { authorization: `token ${token}` } });
    const own = await tokens.create('alice', { note: 'her own', scopes: ['inherit'] });
    assert.is((await status(own.token)).status, 200);
    // The server checks the token it is sent: an admin's would be in alice's hands.
    const admin = await tokens.create('root', { note: 'everything', scopes: ['inherit'] });
    const refused = await status(admin.token);
    assert.is(refused.status, 403);
    assert.match((await refused.json()).message, /limited to access:servers!server=alice\//);
    const narrow = await tokens.create('root', { note: 'her server only', scopes: ['access:servers!server=alice/'] });
    assert.is((await status(narrow.token)).status, 200);
  },
);

t(
  'authorize: a second user is refused, a wrong redirect URI or client is an error, no code either way',
  async (ctx) => {
    const refused = await authorize(ctx.bob, 'alice');
    assert.is(refused.status, 403);
    assert.match((await refused.json()).message, /You do not have permission to access Server at \/user\/alice\//);
    assert.is((await authorize(ctx.alice, 'alice', { redirect_uri: 'https://evil.example/cb' })).status, 400);
    assert.is((await authorize(ctx.alice, 'alice', { redirect_uri: '/user/bob/oauth_callback' })).status, 400);
    assert.is((await authorize(ctx.alice, 'carol')).status, 400, 'no such client');
    const anonymous = await fetch(`${ctx.hub.url}/hub/api/oauth2/authorize?client_id=jupyterhub-user-alice`, {
      redirect: 'manual',
    });
    assert.is(anonymous.status, 302);
    assert.match(anonymous.headers.get('location') ?? '', /^\/hub\/login\?next=/);
  },
);

t("token: a code is used once, by its own client, with its own redirect URI and the server's secret", async (ctx) => {
  const codeOf = async () => {
    const res = await authorize(ctx.alice, 'alice');
    assert.is(res.status, 302);
    return new URL(res.headers.get('location') ?? '', ctx.hub.url).searchParams.get('code') ?? '';
  };
  const good = {
    client_id: 'jupyterhub-user-alice',
    client_secret: ctx.serverToken,
    redirect_uri: '/user/alice/oauth_callback',
  };
  const code = await codeOf();
  const wrongSecret = await exchange(ctx.hub, { ...good, code, client_secret: 'f'.repeat(64) });
  assert.is(wrongSecret.status, 401);
  assert.is((await wrongSecret.json()).error, 'invalid_client');
  const issued = await exchange(ctx.hub, { ...good, code });
  assert.is(issued.status, 200);
  const body = await issued.json();
  assert.is(body.token_type, 'Bearer');
  const who = await (await tokenApi(ctx.hub.url, body.access_token)('GET', '/user')).json();
  assert.is(who.name, 'alice');
  assert.ok(who.scopes.includes('access:servers!user=alice'), who.scopes.join(' '));
  const reused = await exchange(ctx.hub, { ...good, code });
  assert.is(reused.status, 400);
  assert.is((await reused.json()).error, 'invalid_grant');
  const elsewhere = await exchange(ctx.hub, { ...good, code: await codeOf(), redirect_uri: '/user/alice/other' });
  assert.is((await elsewhere.json()).error, 'invalid_grant');
  const byUser = await exchange(ctx.hub, {
    ...good,
    code: await codeOf(),
    client_secret: (await ctx.hub.runtime.tokens.create('alice', { note: 'mine', scopes: ['inherit'] })).token,
  });
  assert.is(byUser.status, 401, "a user's own token is not the server's secret");
});

t(
  'shared links: user-redirect lands on the path on your own server; /hub/user/<name>/ is for its owner only',
  async (ctx) => {
    const mine = await ctx.alice.request('/hub/user-redirect/tree/some/path?x=1');
    assert.is(mine.status, 302);
    assert.is(mine.headers.get('location'), '/user/alice/tree/some/path?x=1');
    assert.is(
      (await ctx.alice.request('/hub/user/alice/notebooks/a.ipynb')).headers.get('location'),
      '/user/alice/notebooks/a.ipynb',
    );
    assert.is((await ctx.bob.request('/hub/user/alice/tree')).status, 404);
    // A browser resolves ..; a raw request with them is refused rather than sent off the server.
    const escaped = await rawGet(ctx.hub.url, '/hub/user-redirect/../../hub/admin', ctx.alice.cookieHeader('/hub/'));
    assert.is(escaped, 400);
  },
);

/** An OAuth token for `person` on `owner`'s server, as that server gets it: authorize, then exchange. */
async function oauthToken(ctx: Ctx, person: Client, owner: string, serverToken: string): Promise<string> {
  const res = await authorize(person, owner);
  assert.is(res.status, 302);
  const code = new URL(res.headers.get('location') ?? '', ctx.hub.url).searchParams.get('code') ?? '';
  const client = { client_id: `jupyterhub-user-${owner}`, client_secret: serverToken };
  const issued = await exchange(ctx.hub, { ...client, code, redirect_uri: `/user/${owner}/oauth_callback` });
  assert.is(issued.status, 200);
  return (await issued.json()).access_token;
}

const whoAmI = async (ctx: Ctx, token: string) => (await tokenApi(ctx.hub.url, token)('GET', '/user')).status;

t("the idle culler's calls cull an idle stock server, and every token issued for it ends", async (ctx) => {
  // root signs in on alice's server (admin access is on here): root's token is for her server.
  const root = await signedIn(ctx.hub.url, 'root', 'root-password');
  const rootOnAlice = await oauthToken(ctx, root, 'alice', ctx.serverToken);
  assert.is(await whoAmI(ctx, rootOnAlice), 200);
  const scopes = ['list:users', 'read:users:activity', 'read:servers', 'delete:servers'];
  const { token } = await ctx.hub.runtime.tokens.create('root', { note: 'culler', scopes });
  await ctx.hub.runtime.activity.reset('alice', Date.now() - 120_000);
  const script = path.join(ROOT, 'test', 'clients', 'jupyterhub_client.py');
  const env = { JUPYTERHUB_API_URL: `${ctx.hub.url}/hub/api`, JUPYTERHUB_API_TOKEN: token };
  const out = await mustRun('python3', [script, 'cull', '60'], { env, timeoutMs: 120_000 });
  assert.equal(JSON.parse(out.trim().split('\n').pop() ?? '{}').culled, ['alice']);
  await eventually(async () => (await ctx.hub.runtime.servers.view('alice')).state === 'stopped', 'alice is stopped');
  assert.is(await whoAmI(ctx, ctx.serverToken), 403, "the server's own token");
  assert.is(await whoAmI(ctx, rootOnAlice), 403, "root's sign-in on it");
});

t('user-redirect starts a stopped server first, then lands on the path; from another site it asks', async (ctx) => {
  const link = '/hub/user-redirect/tree/some/path';
  const fromElsewhere = await ctx.alice.request(link, { headers: { 'sec-fetch-site': 'cross-site' } });
  assert.is(fromElsewhere.status, 302);
  const spawnPage = fromElsewhere.headers.get('location') ?? '';
  assert.is(spawnPage, `/hub/spawn?next=${encodeURIComponent('/user/alice/tree/some/path')}`);
  assert.is((await ctx.hub.runtime.servers.view('alice')).state, 'stopped', 'nothing started');
  assert.match(
    await (await ctx.alice.request(spawnPage)).text(),
    /name="next" value="\/user\/alice\/tree\/some\/path"/,
  );
  const res = await ctx.alice.request(link);
  assert.is(res.status, 302);
  assert.is(res.headers.get('location'), '/user/alice/tree/some/path');
  const onward = async (next: string) =>
    (await ctx.alice.request(`/hub/spawn?next=${encodeURIComponent(next)}`)).headers.get('location');
  assert.is(await onward('/user/alice/tree/x'), '/user/alice/tree/x', 'a running server: straight on to next');
  assert.is(await onward('//evil.example/'), '/user/alice/', 'a next off the server is not followed');
  assert.is((await ctx.alice.api('GET', '/users/alice').then((r) => r.json())).servers[''].ready, true);
  assert.is((await ctx.alice.api('DELETE', '/users/alice/server')).status, 204);
  const tokens = await ctx.hub.runtime.tokens.list('alice');
  assert.not.ok(
    tokens.some((k) => k.client === 'jupyterhub-user-alice'),
    "the server's tokens ended with it",
  );
});

t('signing out of the hub ends the sign-ins on servers too', async (ctx) => {
  assert.is((await ctx.alice.api('POST', '/users/alice/server', { image: 'stock' })).status, 201);
  const serverToken = await containerEnv(ctx.hub, 'alice', 'JUPYTERHUB_API_TOKEN');
  const signIn = await oauthToken(ctx, ctx.alice, 'alice', serverToken);
  const script = (await ctx.hub.runtime.tokens.create('alice', { note: 'a script', scopes: ['inherit'] })).token;
  assert.is((await ctx.alice.logout()).status, 302);
  assert.is(await whoAmI(ctx, signIn), 403);
  assert.is(await whoAmI(ctx, serverToken), 200, 'the server itself carries on');
  assert.is(await whoAmI(ctx, script), 200, 'API tokens made on purpose stay');
  assert.is((await tokenApi(ctx.hub.url, script)('DELETE', '/users/alice/server')).status, 204);
});

t.run();
