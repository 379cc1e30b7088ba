/**
 * Sign-in with OpenID Connect against a real provider (oidc-provider in its own process), on a real
 * hub with local accounts on too: users made at first sign-in, groups synced both ways, the allow,
 * admin and block rules, and every bad answer refused with a page, a log line and no session.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Admissions } from '../../src/auth/admission';
import { keys } from '../../src/store/keys';
import { Client, signedIn, tokenApi } from '../helpers/client';
import { startHub, type TestHub } from '../helpers/hub';
import {
  OIDC_SECRET,
  providerSignIn,
  startProviderAndHub,
  type Tamper,
  type TestProvider,
} from '../helpers/identity-provider';
import { freePort } from '../helpers/redis';

interface Ctx {
  hub: TestHub;
  idp: TestProvider;
  logs: string[];
}

const t = suite<Ctx>('sign-in with OpenID Connect');

const ACCOUNTS = {
  alice: { preferred_username: 'Alice', groups: ['students'] },
  carol: { preferred_username: 'carol', groups: ['/staff', 'admins'] },
  dave: { preferred_username: 'dave', groups: ['visitors'] },
  nameless: { groups: ['students'] },
  empty: { preferred_username: '', groups: ['students'] },
  long: { preferred_username: `a${'b'.repeat(40)}`, groups: ['students'] },
  star: { preferred_username: 'mal*lory', groups: ['students'] },
  bob: { preferred_username: 'bob', groups: ['students'] },
  zed: { preferred_username: 'zed', groups: ['students'] },
  frank: { preferred_username: 'frank', groups: ['students'] },
};

t.before(async (ctx) => {
  ctx.logs = [];
  ({ idp: ctx.idp, hub: ctx.hub } = await startProviderAndHub(
    ACCOUNTS,
    (idp) => ({
      ...idp.hubEnv('oidc'),
      HUB_AUTH: 'local,oidc',
      HUB_ALLOWED_GROUPS: 'students',
      HUB_ADMIN_GROUPS: 'admins',
      HUB_BLOCKED_USERS: 'zed',
      HUB_OIDC_LOGOUT: 'yes',
    }),
    { logs: ctx.logs },
  ));
  await ctx.hub.addUser('bob', 'bob-password');
});

t.after(async (ctx) => {
  await ctx.hub?.close();
  await ctx.idp?.stop();
});

/** Who the hub thinks `client` is: its /hub/api/user, or the status when it is nobody. */
async function whoami(client: Client): Promise<{ name: string; admin: boolean; groups: string[] } | number> {
  const res = await client.api('GET', '/user');
  return res.status === 200 ? ((await res.json()) as { name: string; admin: boolean; groups: string[] }) : res.status;
}

/** Signs in as `login` and expects a refusal page with `message`: no session, no user. */
async function refused(ctx: Ctx, login: string, message: RegExp, status = 403): Promise<Client> {
  const client = new Client(ctx.hub.url);
  const { res, landed } = await providerSignIn(client, ctx.idp, login);
  assert.is(landed.pathname, '/hub/oauth_callback');
  assert.is(res.status, status);
  const page = await res.text();
  assert.match(page, message);
  assert.match(page, /Sign in with Test University/, 'the refusal is the login page, to try again');
  assert.is(await whoami(client), 403, 'no session');
  return client;
}

t('the login page offers the provider and the form; the way there carries PKCE, state and nonce', async (ctx) => {
  const client = new Client(ctx.hub.url);
  const page = await (await client.request('/hub/login')).text();
  assert.match(page, /<a class="button provider" id="login_oidc" href="\/hub\/oauth_login\?provider=oidc/);
  assert.match(page, />Sign in with Test University</);
  assert.match(page, /id="username_input"/);
  const res = await client.request('/hub/oauth_login?provider=oidc&next=%2Fhub%2Ftoken');
  assert.is(res.status, 302);
  const to = new URL(res.headers.get('location') ?? '');
  assert.is(to.origin, ctx.idp.url);
  assert.is(to.searchParams.get('client_id'), 'berth');
  assert.is(to.searchParams.get('code_challenge_method'), 'S256');
  assert.ok((to.searchParams.get('code_challenge') ?? '').length >= 43);
  assert.ok((to.searchParams.get('state') ?? '').length >= 32);
  assert.ok((to.searchParams.get('nonce') ?? '').length >= 32);
  assert.is(to.searchParams.get('redirect_uri'), `${ctx.hub.url}/hub/oauth_callback`);
  assert.is((await client.request('/hub/oauth_login?provider=nope')).status, 404);
});

t('a first sign-in makes the user, with the name lowercased and the groups from the provider', async (ctx) => {
  assert.is(await ctx.hub.runtime.users.get('alice'), undefined);
  const client = new Client(ctx.hub.url);
  const { landed } = await providerSignIn(client, ctx.idp, 'alice');
  assert.is(landed.pathname, '/hub/home');
  const me = await whoami(client);
  assert.equal(me, { ...(me as object), name: 'alice', admin: false, groups: ['students'] });
  assert.is((await ctx.hub.runtime.users.get('alice'))?.auth, 'oidc');
  assert.ok(ctx.logs.some((l) => l.includes('"msg":"user created at first sign-in"') && l.includes('"user":"alice"')));
});

t('next= survives the round trip, and only as a path on the hub', async (ctx) => {
  const { landed } = await providerSignIn(new Client(ctx.hub.url), ctx.idp, 'alice', { next: '/hub/token' });
  assert.is(landed.pathname, '/hub/token');
  const away = await providerSignIn(new Client(ctx.hub.url), ctx.idp, 'alice', { next: 'https://evil.example/' });
  assert.is(away.landed.href, `${ctx.hub.url}/hub/home`);
});

t('an admin group makes an admin; a leading slash (Keycloak) is dropped from group names', async (ctx) => {
  const client = new Client(ctx.hub.url);
  await providerSignIn(client, ctx.idp, 'carol');
  const me = await whoami(client);
  assert.is((me as { admin: boolean }).admin, true);
  assert.equal((me as { groups: string[] }).groups, ['admins', 'staff']);
  assert.is((await client.request('/hub/admin')).status, 200);
  ctx.idp.setAccount('carol', { preferred_username: 'carol', groups: ['staff', 'students'] });
  await providerSignIn(new Client(ctx.hub.url), ctx.idp, 'carol');
  assert.is((await ctx.hub.runtime.users.get('carol'))?.admin, false, 'admin rights follow the admin group');
});

t('groups are synced at every sign-in: joined and left; groups an admin gave by hand stay', async (ctx) => {
  const { groups } = ctx.hub.runtime;
  await providerSignIn(new Client(ctx.hub.url), ctx.idp, 'frank');
  await groups.create('hand-made', ['frank']);
  ctx.idp.setAccount('frank', { preferred_username: 'frank', groups: ['students', 'lab'] });
  await providerSignIn(new Client(ctx.hub.url), ctx.idp, 'frank');
  assert.equal(await groups.groupsOf('frank'), ['hand-made', 'lab', 'students']);
  assert.equal((await groups.get('lab'))?.users, ['frank']);
  ctx.idp.setAccount('frank', { preferred_username: 'frank', groups: ['students'] });
  await providerSignIn(new Client(ctx.hub.url), ctx.idp, 'frank');
  assert.equal(await groups.groupsOf('frank'), ['hand-made', 'students']);
  assert.equal((await groups.get('lab'))?.users, [], 'removed at the provider, removed here');
});

t("a provider's group shapes its members' servers like any group; a change marks a running server", async (ctx) => {
  const { groups, records } = ctx.hub.runtime;
  await groups.create('exam', []);
  await groups.setProperties('exam', { network: 'none' });
  ctx.idp.setAccount('frank', { preferred_username: 'frank', groups: ['students', 'exam'] });
  const client = new Client(ctx.hub.url);
  await providerSignIn(client, ctx.idp, 'frank');
  assert.match(await (await client.request('/hub/home')).text(), /id="offer-network">off/);
  // Frank's server runs (its record says so) when the provider takes him out of the exam group.
  await records.put({ user: 'frank', state: 'running', image: 'python', started: new Date().toISOString() });
  try {
    ctx.idp.setAccount('frank', { preferred_username: 'frank', groups: ['students'] });
    await providerSignIn(new Client(ctx.hub.url), ctx.idp, 'frank');
    assert.is((await records.get('frank'))?.outdated, true, 'started with the old settings');
    assert.match(await (await client.request('/hub/home')).text(), /id="offer-network">on/);
  } finally {
    await records.delete('frank');
  }
});

t('someone outside the allowed groups is refused with a page that says why', async (ctx) => {
  await refused(ctx, 'dave', /dave is not allowed on this hub/);
  assert.is(await ctx.hub.runtime.users.get('dave'), undefined, 'no account is made');
  assert.ok(ctx.logs.some((l) => l.includes('sign-in refused: not allowed') && l.includes('"user":"dave"')));
});

t('a user who is no longer allowed loses their sessions and tokens at the next sign-in', async (ctx) => {
  const client = new Client(ctx.hub.url);
  await providerSignIn(client, ctx.idp, 'alice');
  const { token } = await ctx.hub.runtime.tokens.create('alice', { note: 'script', scopes: ['inherit'] });
  assert.is((await tokenApi(ctx.hub.url, token)('GET', '/user')).status, 200);
  ctx.idp.setAccount('alice', { preferred_username: 'Alice', groups: ['alumni'] });
  try {
    await refused(ctx, 'alice', /alice is not allowed on this hub/);
    assert.is(await whoami(client), 403, 'the session alice had is over');
    assert.is((await tokenApi(ctx.hub.url, token)('GET', '/user')).status, 403, 'and her token');
  } finally {
    ctx.idp.setAccount('alice', { preferred_username: 'Alice', groups: ['students'] });
  }
});

t('a blocked user is refused', async (ctx) => {
  await refused(ctx, 'zed', /The account zed is blocked on this hub/);
});

t('a missing username claim is refused, never made up', async (ctx) => {
  await refused(ctx, 'nameless', /did not say who you are \(no claim preferred_username\)/);
});

t('an empty username claim is refused', async (ctx) => {
  await refused(ctx, 'empty', /did not say who you are/);
});

t('a username too long for Berth is refused, not cut', async (ctx) => {
  await refused(ctx, 'long', /cannot be a username here \(a username is 1 to 32 characters/);
  assert.is((await ctx.hub.runtime.users.list()).filter((u) => u.name.startsWith('abbb')).length, 0);
});

t('a username with characters outside the rule is refused, not mangled', async (ctx) => {
  await refused(ctx, 'star', /&quot;mal\*lory&quot;, cannot be a username here/);
});

t(
  'an identity whose name is a local account is refused, never merged into it, and changes nothing of it',
  async (ctx) => {
    const bob = await signedIn(ctx.hub.url, 'bob', 'bob-password');
    const { token } = await ctx.hub.runtime.tokens.create('bob', { note: 'script', scopes: ['inherit'] });
    await refused(ctx, 'bob', /The username bob already belongs to a local account/);
    assert.is((await ctx.hub.runtime.users.get('bob'))?.auth, undefined);
    // Someone the rules refuse, with the local admin's name, does not sign the admin out either.
    ctx.idp.setAccount('root', { preferred_username: 'root', groups: ['visitors'] });
    await ctx.hub.addUser('root', 'root-password', true);
    const root = await signedIn(ctx.hub.url, 'root', 'root-password');
    await refused(ctx, 'root', /already belongs to a local account/);
    assert.is(((await whoami(bob)) as { name: string }).name, 'bob');
    assert.is(((await whoami(root)) as { name: string }).name, 'root');
    assert.is((await tokenApi(ctx.hub.url, token)('GET', '/user')).status, 200);
  },
);

t('a session begun at a provider lasts as long as any other once signed in', async (ctx) => {
  const client = new Client(ctx.hub.url);
  await providerSignIn(client, ctx.idp, 'alice');
  const id = client.cookie('berth-session', '/hub/');
  assert.ok(id, 'signed in');
  const ttl = await ctx.hub.redis.client().pttl(keys.session(id ?? ''));
  assert.ok(ttl > 13 * 24 * 3600 * 1000, `the session lives 14 days, not the 10 minutes of the round trip (${ttl} ms)`);
});

for (const how of ['bad-signature', 'wrong-audience', 'wrong-issuer', 'expired', 'wrong-nonce'] as Tamper[]) {
  t(`an ID token with ${how.replace('-', ' ')} is refused`, async (ctx) => {
    ctx.idp.tamper(how);
    try {
      await refused(ctx, 'alice', /Signing in with Test University failed: its answer could not be verified/, 502);
    } finally {
      ctx.idp.tamper('none');
    }
    assert.ok(ctx.logs.some((l) => l.includes('sign-in with a provider failed') && l.includes('"error":true')));
  });
}

t('a callback with a wrong state is refused', async (ctx) => {
  const client = new Client(ctx.hub.url);
  const { callback } = await providerSignIn(client, ctx.idp, 'alice', { stopAt: 'callback' });
  callback?.searchParams.set('state', 'forged-state-value');
  const res = await client.request(`${callback?.pathname}${callback?.search}`);
  assert.is(res.status, 502);
  assert.is(await whoami(client), 403);
});

t('a callback without a state is refused', async (ctx) => {
  const client = new Client(ctx.hub.url);
  const { callback } = await providerSignIn(client, ctx.idp, 'alice', { stopAt: 'callback' });
  callback?.searchParams.delete('state');
  const res = await client.request(`${callback?.pathname}${callback?.search}`);
  assert.is(res.status, 502);
  assert.is(await whoami(client), 403);
});

t('a code used once cannot be replayed, by the same browser or another', async (ctx) => {
  const client = new Client(ctx.hub.url);
  const { callback } = await providerSignIn(client, ctx.idp, 'alice', { stopAt: 'callback' });
  const path = `${callback?.pathname}${callback?.search}`;
  assert.is((await client.request(path)).status, 302, 'the first use signs in');
  const again = await client.request(path);
  assert.is(again.status, 400);
  assert.match(await again.text(), /This sign-in expired or was not started here/);
  const stranger = new Client(ctx.hub.url);
  assert.is((await stranger.request(path)).status, 400);
  assert.is(await whoami(stranger), 403);
});

t("a code from someone else's sign-in does not sign this browser in", async (ctx) => {
  const victim = new Client(ctx.hub.url);
  const attacker = new Client(ctx.hub.url);
  const { callback: theirs } = await providerSignIn(attacker, ctx.idp, 'carol', { stopAt: 'callback' });
  const { callback: mine } = await providerSignIn(victim, ctx.idp, 'alice', { stopAt: 'callback' });
  // The attacker's code with the victim's own state: the PKCE verifier does not match.
  mine?.searchParams.set('code', theirs?.searchParams.get('code') ?? '');
  const res = await victim.request(`${mine?.pathname}${mine?.search}`);
  assert.is(res.status, 502);
  assert.is(await whoami(victim), 403);
});

t('signing out ends the session and, with HUB_OIDC_LOGOUT=yes, goes on to the provider', async (ctx) => {
  const client = new Client(ctx.hub.url);
  await providerSignIn(client, ctx.idp, 'alice');
  const res = await client.logout();
  assert.is(res.status, 302);
  const to = new URL(res.headers.get('location') ?? '');
  assert.is(to.origin, ctx.idp.url);
  assert.is(to.searchParams.get('post_logout_redirect_uri'), `${ctx.hub.url}/hub/login`);
  assert.ok(to.searchParams.get('id_token_hint'));
  assert.is(await whoami(client), 403);
});

t('local accounts still sign in with the form beside the provider', async (ctx) => {
  const bob = await signedIn(ctx.hub.url, 'bob', 'bob-password');
  assert.is(((await whoami(bob)) as { name: string }).name, 'bob');
});

t('at start, blocked users and users the rules no longer let in lose their sessions and tokens', async (ctx) => {
  const { runtime } = ctx.hub;
  const frank = new Client(ctx.hub.url);
  await providerSignIn(frank, ctx.idp, 'frank');
  const carol = new Client(ctx.hub.url);
  await providerSignIn(carol, ctx.idp, 'carol');
  const bob = await signedIn(ctx.hub.url, 'bob', 'bob-password');
  const { token } = await runtime.tokens.create('frank', { note: 'script', scopes: ['inherit'] });
  // The rules as a restarted hub would read them: frank blocked, students no longer allowed.
  const after = new Admissions(runtime, {
    ...runtime.signIn.admissions.rules,
    blockedUsers: ['frank'],
    allowedGroups: [],
  });
  const revoked = await after.enforce();
  assert.ok(revoked.includes('frank'));
  assert.ok(revoked.includes('carol'), 'carol is in no allowed group any more (staff, students)');
  assert.not.ok(revoked.includes('bob'), 'local accounts are not subject to the allow rules');
  assert.is(await whoami(frank), 403);
  assert.is(await whoami(carol), 403);
  assert.is((await tokenApi(ctx.hub.url, token)('GET', '/user')).status, 403);
  assert.is(((await whoami(bob)) as { name: string }).name, 'bob');
});

t('the client secret never reaches a page, the API or a log line', async (ctx) => {
  const client = new Client(ctx.hub.url);
  await providerSignIn(client, ctx.idp, 'carol');
  for (const path of ['/hub/login', '/hub/home', '/hub/admin', '/hub/api/info', '/hub/api/']) {
    const body = await (await client.request(path)).text();
    assert.not.ok(body.includes(OIDC_SECRET), path);
  }
  assert.not.ok(ctx.logs.some((l) => l.includes(OIDC_SECRET)));
});

t.run();

const down = suite('sign-in: a provider that is down, no allow rule, a blocked local account');

down('the login page says so, and local accounts still sign in', async () => {
  const port = await freePort();
  const hub = await startHub(
    {
      HUB_AUTH: 'local,oidc',
      HUB_PUBLIC_URL: 'http://127.0.0.1:8000',
      HUB_OIDC_ISSUER: `http://127.0.0.1:${port}`,
      HUB_OIDC_CLIENT_ID: 'berth',
      HUB_OIDC_CLIENT_SECRET: OIDC_SECRET,
      HUB_OIDC_LABEL: 'Test University',
      HUB_ALLOW_ALL: 'yes',
    },
    { background: false },
  );
  try {
    await hub.addUser('bob', 'bob-password');
    const client = new Client(hub.url);
    const page = await (await client.request('/hub/login')).text();
    assert.match(page, /Test University cannot be reached right now/);
    const res = await client.request('/hub/oauth_login?provider=oidc');
    assert.is(res.status, 503);
    assert.match(await res.text(), /Test University cannot be reached right now/);
    await signedIn(hub.url, 'bob', 'bob-password');
  } finally {
    await hub.close();
  }
});

down('a blocked local account cannot sign in, whatever its password', async () => {
  const hub = await startHub({ HUB_BLOCKED_USERS: 'bob' }, { background: false });
  try {
    await hub.addUser('bob', 'bob-password');
    const res = await new Client(hub.url).login('bob', 'bob-password');
    assert.is(res.status, 403);
    const { token } = await hub.runtime.tokens.create('bob', { note: 'made after the start', scopes: ['inherit'] });
    assert.is((await tokenApi(hub.url, token)('GET', '/user')).status, 403, "a blocked user's token is no token");
  } finally {
    await hub.close();
  }
});

down('with no allow rule, nobody gets in through the provider, and the login page says so', async () => {
  const logs: string[] = [];
  const hub = await startHub(
    {
      HUB_AUTH: 'oidc',
      HUB_PUBLIC_URL: 'http://127.0.0.1:8000',
      HUB_OIDC_ISSUER: 'http://127.0.0.1:9',
      HUB_OIDC_CLIENT_ID: 'berth',
      HUB_OIDC_CLIENT_SECRET: OIDC_SECRET,
    },
    { background: false, logs },
  );
  try {
    const page = await (await new Client(hub.url).request('/hub/login')).text();
    assert.match(page, /Nobody can sign in through the identity provider or directory yet/);
    assert.not.match(page, /id="username_input"/, 'no form when local accounts are off');
    assert.ok(logs.some((l) => l.includes('nobody can sign in through the identity provider')));
  } finally {
    await hub.close();
  }
});

down.run();
