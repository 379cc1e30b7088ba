/**
 * Sign-in with a plain OAuth 2 provider (the test provider's authorize, token and userinfo
 * endpoints, used without OpenID Connect), beside OpenID Connect on the same hub: state and PKCE,
 * the user data's username and groups fields, and one person's two identities kept apart.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Client } from '../helpers/client';
import { startHub, type TestHub } from '../helpers/hub';
import { OAUTH2_SECRET, providerSignIn, startProvider, type TestProvider } from '../helpers/identity-provider';
import { freePort } from '../helpers/redis';

interface Ctx {
  hub: TestHub;
  idp: TestProvider;
  logs: string[];
}

const t = suite<Ctx>('sign-in with OAuth 2');

t.before(async (ctx) => {
  const port = await freePort();
  const hubUrl = `http://127.0.0.1:${port}`;
  ctx.idp = await startProvider(hubUrl, {
    grace: { preferred_username: 'Grace', groups: ['physics'] },
    heidi: { preferred_username: 'heidi', groups: ['chemistry'] },
    ivan: { preferred_username: 'ivan', groups: ['physics'] },
  });
  ctx.logs = [];
  ctx.hub = await startHub(
    {
      ...ctx.idp.hubEnv('oidc'),
      ...ctx.idp.hubEnv('oauth2'),
      HUB_AUTH: 'oidc,oauth2',
      HUB_PORT: String(port),
      HUB_ALLOWED_GROUPS: 'physics',
    },
    { background: false, logs: ctx.logs },
  );
});

t.after(async (ctx) => {
  await ctx.hub?.close();
  await ctx.idp?.stop();
});

t('the login page has a button for each provider and no form', async (ctx) => {
  const page = await (await new Client(ctx.hub.url).request('/hub/login')).text();
  assert.match(page, />Sign in with Test University</);
  assert.match(page, />Sign in with Test Forge</);
  assert.not.match(page, /id="username_input"/);
});

t('the way to the provider carries state and a PKCE challenge', async (ctx) => {
  const res = await new Client(ctx.hub.url).request('/hub/oauth_login?provider=oauth2');
  assert.is(res.status, 302);
  const to = new URL(res.headers.get('location') ?? '');
  assert.is(`${to.origin}${to.pathname}`, `${ctx.idp.url}/auth`);
  assert.is(to.searchParams.get('client_id'), 'berth-oauth2');
  assert.ok((to.searchParams.get('state') ?? '').length >= 16);
  assert.is(to.searchParams.get('code_challenge_method'), 'S256');
});

t('a sign-in makes the user from the user data, with its groups', async (ctx) => {
  const client = new Client(ctx.hub.url);
  const { landed } = await providerSignIn(client, ctx.idp, 'grace', { method: 'oauth2' });
  assert.is(landed.pathname, '/hub/home');
  const me = (await (await client.api('GET', '/user')).json()) as { name: string; groups: string[] };
  assert.is(me.name, 'grace');
  assert.equal(me.groups, ['physics']);
  assert.is((await ctx.hub.runtime.users.get('grace'))?.auth, 'oauth2');
});

t('someone outside the allowed groups is refused', async (ctx) => {
  const client = new Client(ctx.hub.url);
  const { res } = await providerSignIn(client, ctx.idp, 'heidi', { method: 'oauth2' });
  assert.is(res.status, 403);
  assert.match(await res.text(), /heidi is not allowed on this hub/);
  assert.is((await client.api('GET', '/user')).status, 403);
});

t('a callback with a wrong state is refused', async (ctx) => {
  const client = new Client(ctx.hub.url);
  const { callback } = await providerSignIn(client, ctx.idp, 'grace', { method: 'oauth2', stopAt: 'callback' });
  callback?.searchParams.set('state', 'forged');
  const res = await client.request(`${callback?.pathname}${callback?.search}`);
  assert.is(res.status, 403);
  assert.match(await res.text(), /Signing in with Test Forge did not complete/);
  assert.is((await client.api('GET', '/user')).status, 403);
});

t('a code cannot be replayed', async (ctx) => {
  const client = new Client(ctx.hub.url);
  const { callback } = await providerSignIn(client, ctx.idp, 'grace', { method: 'oauth2', stopAt: 'callback' });
  const path = `${callback?.pathname}${callback?.search}`;
  assert.is((await client.request(path)).status, 302);
  assert.is((await client.request(path)).status, 400);
  assert.is((await new Client(ctx.hub.url).request(path)).status, 400);
});

t("one person's identities at two providers stay two: the second is refused, not merged", async (ctx) => {
  await providerSignIn(new Client(ctx.hub.url), ctx.idp, 'ivan', { method: 'oidc' });
  const { res } = await providerSignIn(new Client(ctx.hub.url), ctx.idp, 'ivan', { method: 'oauth2' });
  assert.is(res.status, 403);
  assert.match(await res.text(), /already belongs to an account that signs in with oidc/);
});

t('the client secret never reaches a log line', async (ctx) => {
  assert.ok(ctx.logs.length > 0);
  assert.not.ok(ctx.logs.some((l) => l.includes(OAUTH2_SECRET)));
});

t.run();
