/**
 * Attacks between users on one origin, each tried against a real hub, Redis and Docker: odd
 * paths to someone else's server, foreign WebSocket origins, cookies and tokens where they must
 * not go, credentials in query strings, open redirects, unescaped echoes, missing XSRF tokens,
 * cookie flags (HTTP and HTTPS), and sessions that must end together.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import WebSocket from 'ws';
import { keys } from '../../src/store/keys';
import { Client, signedIn } from '../helpers/client';
import { startHub, type TestHub } from '../helpers/hub';
import { type TestImages, testImages } from '../helpers/images';
import { startKernel } from '../helpers/kernel';

const ECHO = `import http.server, json
class Echo(http.server.BaseHTTPRequestHandler):
    def answer(self):
        headers = {k.lower(): v for k, v in self.headers.items()}
        body = json.dumps({"path": self.path, "headers": headers}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_GET = do_POST = do_PUT = do_DELETE = answer
http.server.ThreadingHTTPServer(("0.0.0.0", 8888), Echo).serve_forever()
`;

interface Ctx {
  hub: TestHub;
  images: TestImages;
  logs: string[];
  alice: Client;
  bob: Client;
}

const t = suite<Ctx>('security: between users');

t.before(async (ctx) => {
  ctx.images = testImages({
    echo: { lines: ['COPY echo.py /opt/echo.py', 'CMD ["python3", "/opt/echo.py"]'], files: { 'echo.py': ECHO } },
  });
  ctx.logs = [];
  ctx.hub = await startHub({ HUB_IMAGES_DIR: ctx.images.dir, HUB_BUILD_IMAGES: 'missing' }, { logs: ctx.logs });
  await ctx.hub.addUser('alice', 'alice-password');
  await ctx.hub.addUser('bob', 'bob-password');
  ctx.alice = await signedIn(ctx.hub.url, 'alice', 'alice-password');
  ctx.bob = await signedIn(ctx.hub.url, 'bob', 'bob-password');
  assert.is((await ctx.alice.api('POST', '/users/alice/server', { image: 'python' })).status, 201);
});

t.after(async (ctx) => {
  await ctx.hub?.close();
  await ctx.images?.remove();
});

t(
  "odd and encoded paths never reach another user's server; the answer is the same as for no user",
  async ({ hub, alice, bob }) => {
    const nobody = await bob.request('/user/nosuchuser/api/status');
    const body = await nobody.text();
    const paths = [
      '/user/alice/api/status',
      '/user/alice%2F../api/status',
      '/user/alice%2f..%2f/api/status',
      '/user//alice/api/status',
      '/user/ALICE/api/status',
      '/user/Alice/api/status',
      '/user/al/api/status',
      '/user/alic/api/status',
      '/user/%61lice/api/status',
      '/user/%2561lice/api/status',
      '/user/alice%252F..%252F/api/status',
      '/user/./alice/api/status',
      '/user/bob/../alice/api/status',
    ];
    for (const path of paths) {
      const res = await fetch(`${hub.url}${path}`, { headers: { cookie: bob.cookieHeader('/user/') } });
      assert.is(res.status, 404, path);
      assert.is(await res.text(), body, path);
    }
    // Even the owner reaches their server only by its one true name.
    for (const path of ['/user/ALICE/api/status', '/user/%61lice/api/status', '/user//alice/api/status']) {
      assert.is(
        (await fetch(`${hub.url}${path}`, { headers: { cookie: alice.cookieHeader('/user/') } })).status,
        404,
        path,
      );
    }
    assert.is((await alice.request('/user/alice/api/status')).status, 200);
  },
);

function upgrade(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve(-1));
  });
}

t(
  "WebSocket upgrades: a foreign Origin is refused, even with the owner's cookie; strangers get 404",
  async ({ hub, alice, bob }) => {
    const kernel = await startKernel(alice, 'alice');
    const url = `${hub.url.replace('http', 'ws')}/user/alice/api/kernels/${kernel}/channels`;
    const cookie = alice.cookieHeader('/user/alice/');
    assert.is(await upgrade(url, { cookie, origin: 'http://evil.example' }), 403);
    assert.is(await upgrade(url, { cookie, origin: 'null' }), 403);
    assert.is(await upgrade(url, { cookie: bob.cookieHeader('/user/alice/'), origin: hub.url }), 404);
    assert.is(await upgrade(url, { origin: hub.url }), 403);
    assert.is(await upgrade(url, { cookie, origin: hub.url }), 101);
  },
);

t(
  "the hub's cookies never reach a container; the proxy swaps any Authorization for the server's token",
  async (ctx) => {
    const { bob, hub, images } = ctx;
    assert.is((await bob.api('POST', '/users/bob/server', { image: images.ids.echo })).status, 201);
    const route = (await hub.runtime.routes.get('bob'))!;
    const res = await bob.request('/user/bob/anything?x=1', {
      headers: { cookie: `${bob.cookieHeader('/user/bob/')}; theme=dark` },
    });
    const seen = (await res.json()) as { path: string; headers: Record<string, string> };
    assert.is(seen.path, '/user/bob/anything?x=1');
    assert.is(seen.headers.cookie, 'theme=dark');
    assert.is(seen.headers.authorization, `token ${route.token}`);
    // A hub API token with access:servers is swapped for the server's token too.
    const { token } = await hub.runtime.tokens.create('bob', { note: 'x', scopes: ['access:servers!user=bob'] });
    const viaToken = (await (
      await fetch(`${hub.url}/user/bob/anything`, { headers: { authorization: `token ${token}` } })
    ).json()) as { headers: Record<string, string> };
    assert.is(viaToken.headers.authorization, `token ${route.token}`);
    // Any other Authorization is refused before anything is forwarded.
    assert.is(
      (await fetch(`${hub.url}/user/bob/anything`, { headers: { authorization: 'token forged' } })).status,
      403,
    );
    assert.is((await bob.api('DELETE', '/users/bob/server')).status, 204);
  },
);

t("the server token never reaches the browser or the hub's log", async ({ hub, alice, logs }) => {
  const { token } = (await hub.runtime.routes.get('alice'))!;
  for (const path of [
    '/user/alice/tree',
    '/user/alice/notebooks/x.ipynb',
    '/user/alice/api/status',
    '/user/alice/api/kernels',
    '/user/alice/api/contents',
  ]) {
    const res = await alice.request(path, { headers: { accept: 'text/html' } });
    const text = (await res.text()) + JSON.stringify([...res.headers]);
    assert.not.ok(text.includes(token), path);
    assert.not.ok((res.headers.get('location') ?? '').includes('token'), path);
  }
  assert.ok(logs.length > 0, 'the hub logged');
  assert.not.ok(logs.join('\n').includes(token), 'not in any log line');
});

t('credentials in a query string are never accepted, by the hub or the proxy', async ({ hub }) => {
  const { token } = await hub.runtime.tokens.create('alice', { note: 'q', scopes: ['inherit'] });
  const serverToken = (await hub.runtime.routes.get('alice'))!.token;
  assert.is((await fetch(`${hub.url}/hub/api/user?token=${token}`)).status, 403);
  assert.is((await fetch(`${hub.url}/user/alice/api/status?token=${token}`)).status, 403);
  assert.is((await fetch(`${hub.url}/user/alice/api/status?token=${serverToken}`)).status, 403);
  const page = await fetch(`${hub.url}/user/alice/tree?token=${token}`, {
    headers: { accept: 'text/html' },
    redirect: 'manual',
  });
  assert.is(page.status, 302);
  assert.match(page.headers.get('location') ?? '', /^\/hub\/login\?next=/);
  // The same API token in the header works for the API and, with access:servers, for the server.
  assert.is(
    (await fetch(`${hub.url}/user/alice/api/status`, { headers: { authorization: `token ${token}` } })).status,
    200,
  );
});

t('next= after login accepts only same-origin paths', async ({ hub }) => {
  for (const next of [
    '//evil.example',
    '///evil.example',
    '\\\\evil.example',
    'https://evil.example/',
    '/\\evil.example',
    '/\t/evil.example',
    'javascript:alert(1)',
  ]) {
    const res = await new Client(hub.url).login('alice', 'alice-password', next);
    assert.is(res.status, 302, next);
    assert.is(res.headers.get('location'), '/hub/home', next);
  }
  const ok = await new Client(hub.url).login('alice', 'alice-password', '/user/alice/tree?x=1');
  assert.is(ok.headers.get('location'), '/user/alice/tree?x=1');
});

t('values echoed into pages are escaped', async ({ hub, alice }) => {
  const evil = '"><script>alert(1)</script>';
  const login = await (await fetch(`${hub.url}/hub/login?next=${encodeURIComponent(`/hub/home${evil}`)}`)).text();
  assert.not.ok(login.includes('<script>alert(1)'));
  assert.is((await alice.api('DELETE', '/users/alice/server')).status, 204);
  const form = await (await alice.request('/hub/spawn')).text();
  const xsrf = /name="_xsrf" value="([^"]+)"/.exec(form)![1];
  const refused = await alice.request('/hub/spawn', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _xsrf: xsrf, image: evil }).toString(),
  });
  assert.is(refused.status, 400);
  const page = await refused.text();
  assert.not.ok(page.includes('<script>alert(1)'));
  assert.ok(page.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  const wrongLogin = await new Client(hub.url).login(evil, 'whatever-password');
  assert.not.ok((await wrongLogin.text()).includes('<script>alert(1)'));
});

t(
  'state-changing forms and cookie API calls need the XSRF token, whatever Sec-Fetch-* says',
  async ({ hub, alice }) => {
    const form = {
      'content-type': 'application/x-www-form-urlencoded',
      'sec-fetch-site': 'same-origin',
      'sec-fetch-mode': 'navigate',
    };
    const anonymous = new Client(hub.url);
    await anonymous.xsrf();
    assert.is(
      (
        await anonymous.request('/hub/login', {
          method: 'POST',
          headers: form,
          body: 'username=alice&password=alice-password',
        })
      ).status,
      403,
    );
    assert.is((await alice.request('/hub/spawn', { method: 'POST', headers: form, body: 'image=python' })).status, 403);
    assert.is((await alice.request('/hub/logout', { method: 'POST', headers: form, body: '' })).status, 403);
    assert.is(
      (
        await alice.request('/hub/api/users/alice/server', {
          method: 'POST',
          headers: { 'sec-fetch-site': 'same-origin' },
        })
      ).status,
      403,
    );
    assert.is(
      (await alice.request('/hub/api/users/alice/server', { method: 'POST', headers: { 'x-xsrftoken': 'wrong' } }))
        .status,
      403,
    );
    const { token } = await hub.runtime.tokens.create('alice', { note: 'x', scopes: ['inherit'] });
    assert.is(
      (
        await fetch(`${hub.url}/hub/api/users/alice/tokens`, {
          method: 'POST',
          headers: { authorization: `token ${token}` },
        })
      ).status,
      201,
      'token calls need no XSRF token',
    );
  },
);

t(
  'session cookies: HttpOnly and SameSite=Lax; logout, a new password and deletion end every session',
  async ({ hub }) => {
    const login = await new Client(hub.url).login('bob', 'bob-password');
    const cookies = login.headers.getSetCookie().filter((c) => c.startsWith('berth-session'));
    assert.is(cookies.length, 2);
    for (const c of cookies)
      for (const flag of [/; path=\/(;|$)/i, /; samesite=lax(;|$)/i, /; httponly(;|$)/i]) assert.match(c, flag);
    for (const end of ['logout', 'password', 'delete'] as const) {
      const phone = await signedIn(hub.url, 'bob', 'bob-password');
      const laptop = await signedIn(hub.url, 'bob', 'bob-password');
      assert.is((await laptop.api('GET', '/users/bob')).status, 200);
      if (end === 'logout') await phone.logout();
      if (end === 'password')
        await hub.runtime.users
          .setPassword('bob', (await hub.runtime.users.passwordHash('bob'))!)
          .then(() => hub.runtime.sessions.destroyAllOf('bob'));
      if (end === 'delete') {
        const { token } = await hub.runtime.tokens.create('alice', { note: 'x', scopes: ['inherit'] });
        await hub.runtime.users.setAdmin('alice', true);
        assert.is(
          (
            await fetch(`${hub.url}/hub/api/users/bob`, {
              method: 'DELETE',
              headers: { authorization: `token ${token}` },
            })
          ).status,
          204,
        );
      }
      assert.is((await laptop.api('GET', '/users/bob')).status, 403, `${end} ends the other session`);
      assert.is((await laptop.request('/user/bob/api/status')).status, 403, `${end}: the proxy refuses it too`);
      const keysLeft = await hub.redis.client().keys(`${keys.session('')}*`);
      for (const key of keysLeft)
        assert.not.match(
          (await hub.redis.client().get(key)) ?? '',
          /"user":"bob"/,
          `${end}: no session of bob's is left`,
        );
    }
  },
);

t('over HTTPS (HUB_PUBLIC_URL) the session cookie is __Host- and Secure, and the proxy reads it', async () => {
  const hub = await startHub({ HUB_PUBLIC_URL: 'https://hub.example.org' });
  try {
    await hub.addUser('carol', 'carol-password');
    const carol = new Client(hub.url);
    const login = await carol.login('carol', 'carol-password');
    assert.is(login.status, 302);
    const cookies = login.headers.getSetCookie();
    const session = cookies.filter((c) => c.startsWith('__Host-berth-session'));
    assert.is(session.length, 2);
    for (const c of session)
      for (const flag of [/; path=\/(;|$)/i, /; secure(;|$)/i, /; samesite=lax(;|$)/i, /; httponly(;|$)/i])
        assert.match(c, flag);
    assert.ok(cookies.filter((c) => c.startsWith('_xsrf')).every((c) => /; secure/i.test(c)));
    assert.is((await carol.api('POST', '/users/carol/server')).status, 201);
    assert.is((await carol.request('/user/carol/api/status')).status, 200);
  } finally {
    await hub.close();
  }
});

t('hub pages send a CSP with frame-ancestors none and hardening headers', async ({ hub, alice }) => {
  for (const path of ['/hub/login', '/hub/home', '/hub/spawn', '/hub/token']) {
    const res = await alice.request(path);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /frame-ancestors 'none'/, path);
    assert.match(csp, /script-src 'self'/, path);
    assert.match(csp, /object-src 'none'/, path);
    assert.is(res.headers.get('x-frame-options'), 'DENY', path);
    assert.is(res.headers.get('x-content-type-options'), 'nosniff', path);
    assert.is(res.headers.get('referrer-policy'), 'same-origin', path);
  }
  void hub;
});

t.run();
