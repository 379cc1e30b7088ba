/**
 * The sign-in journey over HTTPS served by Berth itself, in a real headless Chromium that trusts
 * the tests' own CA (and no "ignore certificate errors"): Sign in with the provider → its form →
 * back in Berth over https → start → notebook → 42, the kernel's WebSocket over TLS (wss).
 */
import type { Browser } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  freshContext,
  launchChromium,
  runInNewNotebook,
  settled,
  signInAtProvider,
  treeReady,
  waitForPath,
} from '../helpers/browser';
import type { TestHub } from '../helpers/hub';
import { startProviderAndHub, type TestProvider } from '../helpers/identity-provider';
import { makeCa, type TestCa } from '../helpers/tls';

interface Ctx {
  ca: TestCa;
  hub: TestHub;
  idp: TestProvider;
  browser: Browser;
}

const t = suite<Ctx>('browser: the journey over HTTPS');

t.before(async (ctx) => {
  ctx.ca = makeCa();
  const { cert, key } = ctx.ca.issue('hub');
  ({ idp: ctx.idp, hub: ctx.hub } = await startProviderAndHub(
    { alice: { preferred_username: 'alice', groups: ['students'] } },
    (idp) => ({
      ...idp.hubEnv('oidc'),
      HUB_SSL_CERT: cert,
      HUB_SSL_KEY: key,
      HUB_ALLOWED_GROUPS: 'students',
    }),
    { scheme: 'https' },
  ));

  ctx.browser = await launchChromium({ trustCa: ctx.ca.caFile });
});

t.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.hub?.close();
  await ctx.idp?.stop();
  ctx.ca?.remove();
});

t('sign in with the provider, start, and print 42 over https and wss', async (ctx) => {
  assert.match(ctx.hub.url, /^https:\/\//);
  const { context, page } = await freshContext(ctx.browser);
  const sockets: string[] = [];
  // The notebook opens in a tab of its own: listen on every page of the context.
  page.on('websocket', (ws) => sockets.push(ws.url()));
  context.on('page', (p) => p.on('websocket', (ws) => sockets.push(ws.url())));
  try {
    await signInAtProvider(page, ctx.hub.url, ctx.idp.url, 'alice');
    await page.waitForURL('**/hub/home');
    const cookies = await context.cookies(ctx.hub.url);
    const session = cookies.find((c) => c.name === '__Host-berth-session');
    assert.ok(session?.secure, 'the session cookie is Secure and __Host-');
    await page.click('#start');
    await waitForPath(page, '/user/alice/tree', 60_000);
    await settled(page, treeReady('python3'));
    assert.is(await runInNewNotebook(page, 'python3', 'print(6*7)', 'https-notebook.png'), '42');
    assert.ok(
      sockets.some((url) => url.startsWith('wss://127.0.0.1:') && url.includes('/user/alice/api/kernels/')),
      `the kernel's WebSocket is wss: ${sockets.join(' ')}`,
    );
  } finally {
    await context.close();
  }
});

t.run();
