/**
 * Signing in as people of an institution do, in a real headless Chromium: "Sign in with <provider>"
 * → the provider's own login form (oidc-provider, a real OpenID provider) → back in Berth → start
 * → notebook → 42; someone outside the allowed groups sees why they cannot enter; a member of the
 * admin group sees the admin page; a directory user (slapd over ldaps://) signs in with the form.
 * Every request that is not to 127.0.0.1 is aborted.
 */
import type { Browser } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  artifactPath,
  freshContext,
  launchChromium,
  runInNewNotebook,
  settled,
  signInAtProvider,
  treeReady,
  waitForPath,
} from '../helpers/browser';
import { BASE, startDirectory, type TestDirectory } from '../helpers/directory';
import type { TestHub } from '../helpers/hub';
import { startProviderAndHub, type TestProvider } from '../helpers/identity-provider';
import { makeCa, type TestCa } from '../helpers/tls';

interface Ctx {
  hub: TestHub;
  idp: TestProvider;
  ca: TestCa;
  directory: TestDirectory;
  browser: Browser;
}

const t = suite<Ctx>('browser: sign in with an identity provider or a directory');

t.before(async (ctx) => {
  ctx.ca = makeCa();
  ctx.directory = await startDirectory(ctx.ca, [{ uid: 'lena', password: 'lena-directory-pw', groups: ['physics'] }]);
  ({ idp: ctx.idp, hub: ctx.hub } = await startProviderAndHub(
    {
      alice: { preferred_username: 'alice', groups: ['students'] },
      carol: { preferred_username: 'carol', groups: ['admins'] },
      dave: { preferred_username: 'dave', groups: ['visitors'] },
    },
    (idp) => ({
      ...idp.hubEnv('oidc'),
      HUB_AUTH: 'oidc,ldap',
      HUB_LDAP_URL: ctx.directory.tlsUrl,
      HUB_LDAP_CA_FILE: ctx.ca.caFile,
      HUB_LDAP_BIND_DN_TEMPLATE: `uid={username},ou=people,${BASE}`,
      HUB_LDAP_GROUP_BASE: `ou=groups,${BASE}`,
      HUB_ALLOWED_GROUPS: 'students,physics',
      HUB_ADMIN_GROUPS: 'admins',
    }),
  ));
  ctx.browser = await launchChromium();
});

t.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.hub?.close();
  await ctx.idp?.stop();
  await ctx.directory?.stop();
  ctx.ca?.remove();
});

t('the login page offers the provider and the form', async (ctx) => {
  const { context, page } = await freshContext(ctx.browser);
  try {
    await page.goto(`${ctx.hub.url}/hub/login`);
    assert.is((await page.textContent('#login_oidc'))?.trim(), 'Sign in with Test University');
    assert.ok(await page.isVisible('#username_input'));
    await page.screenshot({ path: artifactPath('sign-in-page.png') });
  } finally {
    await context.close();
  }
});

t('Sign in with the provider → its form → back in Berth → start → notebook → 42', async (ctx) => {
  const { context, page } = await freshContext(ctx.browser);
  try {
    await signInAtProvider(page, ctx.hub.url, ctx.idp.url, 'alice');
    await page.waitForURL('**/hub/home');
    await page.click('#start');
    await waitForPath(page, '/user/alice/tree', 60_000);
    await settled(page, treeReady('python3'));
    assert.is(await runInNewNotebook(page, 'python3', 'print(6*7)', 'sign-in-oidc-notebook.png'), '42');
    await page.goto(`${ctx.hub.url}/hub/home`);
    await page.click('#stop');
    await page.waitForSelector('#start', { timeout: 60_000 });
  } finally {
    await context.close();
  }
});

t('someone outside the allowed groups gets a page that says why', async (ctx) => {
  const { context, page } = await freshContext(ctx.browser);
  try {
    await signInAtProvider(page, ctx.hub.url, ctx.idp.url, 'dave');
    assert.is(new URL(page.url()).pathname, '/hub/oauth_callback');
    assert.match((await page.textContent('p.error')) ?? '', /dave is not allowed on this hub/);
    await page.screenshot({ path: artifactPath('sign-in-refused.png') });
    await page.goto(`${ctx.hub.url}/hub/home`);
    assert.is(new URL(page.url()).pathname, '/hub/login');
  } finally {
    await context.close();
  }
});

t('a member of the admin group sees the admin page', async (ctx) => {
  const { context, page } = await freshContext(ctx.browser);
  try {
    await signInAtProvider(page, ctx.hub.url, ctx.idp.url, 'carol');
    await page.goto(`${ctx.hub.url}/hub/admin`);
    assert.is(new URL(page.url()).pathname, '/hub/admin');
    assert.match((await page.textContent('h1')) ?? '', /Admin/);
  } finally {
    await context.close();
  }
});

t('a directory user signs in with the form', async (ctx) => {
  const { context, page } = await freshContext(ctx.browser);
  try {
    await page.goto(`${ctx.hub.url}/hub/login`);
    await page.fill('#username_input', 'lena');
    await page.fill('#password_input', 'lena-directory-pw');
    await page.click('#login_submit');
    await page.waitForURL('**/hub/home');
    assert.is(await page.textContent('.who'), 'lena');
  } finally {
    await context.close();
  }
});

t.run();
