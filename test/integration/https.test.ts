/**
 * Berth serving HTTPS itself, from certificate files signed by the tests' own CA: clients that
 * trust that CA (and only they) get through, cookies are Secure and __Host-, HSTS is sent, a
 * renewed certificate is served without a restart, and the plain-HTTP port only redirects.
 */
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../src/config';
import { startHub, type TestHub } from '../helpers/hub';
import { freePort } from '../helpers/redis';
import { makeCa, type TestCa } from '../helpers/tls';
import { eventually } from '../helpers/wait';

interface Ctx {
  ca: TestCa;
  hub: TestHub;
  port: number;
  redirectPort: number;
  certFile: string;
  keyFile: string;
}

const t = suite<Ctx>('HTTPS served by Berth');

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request over HTTPS that trusts the tests' CA only. */
function get(ctx: Ctx, path: string, method = 'GET', body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port: ctx.port, path, method, ca: fs.readFileSync(ctx.ca.caFile) },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => {
          text += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The certificate the hub presents on a new connection. */
function presented(ctx: Ctx): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: ctx.port, ca: fs.readFileSync(ctx.ca.caFile) }, () => {
      resolve(socket.getPeerX509Certificate()?.fingerprint256 ?? '');
      socket.end();
    });
    socket.on('error', reject);
  });
}

t.before(async (ctx) => {
  ctx.ca = makeCa();
  const { cert, key } = ctx.ca.issue('hub-1');
  ctx.certFile = `${ctx.ca.dir}/served.crt`;
  ctx.keyFile = `${ctx.ca.dir}/served.key`;
  fs.copyFileSync(cert, ctx.certFile);
  fs.copyFileSync(key, ctx.keyFile);
  ctx.port = await freePort();
  ctx.redirectPort = await freePort();
  ctx.hub = await startHub(
    {
      HUB_PORT: String(ctx.port),
      HUB_PUBLIC_URL: `https://127.0.0.1:${ctx.port}`,
      HUB_SSL_CERT: ctx.certFile,
      HUB_SSL_KEY: ctx.keyFile,
      HUB_HTTP_REDIRECT_PORT: String(ctx.redirectPort),
    },
    { background: false },
  );
  await ctx.hub.addUser('alice', 'alice-password');
});

t.after(async (ctx) => {
  await ctx.hub?.close();
  ctx.ca?.remove();
});

t('the hub answers over HTTPS, and its URL says so', async (ctx) => {
  assert.is(ctx.hub.url, `https://127.0.0.1:${ctx.port}`);
  const res = await get(ctx, '/hub/login');
  assert.is(res.status, 200);
  assert.match(String(res.headers['strict-transport-security']), /max-age=\d+/);
});

t('a client that does not trust the CA is turned away by TLS itself', async (ctx) => {
  const err = await new Promise<Error>((resolve) => {
    https
      .get({ host: '127.0.0.1', port: ctx.port, path: '/hub/login' }, () => resolve(new Error('connected')))
      .on('error', resolve);
  });
  assert.match(
    err.message,
    /self-signed certificate in certificate chain|unable to (get|verify) (local issuer|the first)/,
  );
});

t('over HTTPS, cookies are Secure and the session cookie is __Host-', async (ctx) => {
  const login = await get(ctx, '/hub/login');
  const xsrfCookie = ([] as string[]).concat(login.headers['set-cookie'] ?? []).find((c) => c.startsWith('_xsrf='));
  assert.ok(xsrfCookie, 'an XSRF cookie is set');
  assert.match(xsrfCookie ?? '', /; secure/i);
  const xsrf = /name="xsrf-token" content="([^"]+)"/.exec(login.body)?.[1] ?? '';
  const cookie = ([] as string[])
    .concat(login.headers['set-cookie'] ?? [])
    .map((c) => c.split(';')[0])
    .join('; ');
  const signIn = await new Promise<Answer>((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: ctx.port,
        path: '/hub/login',
        method: 'POST',
        ca: fs.readFileSync(ctx.ca.caFile),
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' }));
      },
    );
    req.on('error', reject);
    req.end(new URLSearchParams({ _xsrf: xsrf, username: 'alice', password: 'alice-password' }).toString());
  });
  assert.is(signIn.status, 302);
  const session = ([] as string[]).concat(signIn.headers['set-cookie'] ?? []).find((c) => c.startsWith('__Host-'));
  assert.ok(session, 'the session cookie has the __Host- prefix');
  assert.match(session ?? '', /; secure/i);
  assert.match(session ?? '', /; path=\//i);
});

t('the plain-HTTP port only redirects to the same path over HTTPS, whatever Host says', async (ctx) => {
  const res = await fetch(`http://127.0.0.1:${ctx.redirectPort}/hub/home?x=1`, {
    redirect: 'manual',
    headers: { host: 'evil.example' },
  });
  assert.is(res.status, 308);
  assert.is(res.headers.get('location'), `https://127.0.0.1:${ctx.port}/hub/home?x=1`);
  const challenge = await fetch(`http://127.0.0.1:${ctx.redirectPort}/.well-known/acme-challenge/unknown-token`);
  assert.is(challenge.status, 404, 'no challenge is open');
});

t('a renewed certificate is served without a restart', async (ctx) => {
  const before = await presented(ctx);
  assert.is(before, new X509Certificate(fs.readFileSync(ctx.certFile)).fingerprint256);
  const renewed = ctx.ca.issue('hub-2');
  // A renewal writes the key first, then the certificate: the half-written pair is skipped.
  fs.copyFileSync(renewed.key, ctx.keyFile);
  fs.copyFileSync(renewed.cert, ctx.certFile);
  const after = new X509Certificate(fs.readFileSync(renewed.cert)).fingerprint256;
  await eventually(async () => (await presented(ctx)) === after, 'the hub presents the renewed certificate');
  assert.is((await get(ctx, '/hub/login')).status, 200);
});

t('TLS settings that do not go together stop the hub with what to set', () => {
  assert.throws(() => loadConfig({ HUB_SSL_CERT: '/x.crt' }), /HUB_SSL_CERT and HUB_SSL_KEY go together/);
  assert.throws(
    () => loadConfig({ HUB_HTTP_REDIRECT_PORT: '80' }),
    /set HUB_SSL_CERT and HUB_SSL_KEY, or HUB_ACME_DIRECTORY/,
  );
  assert.throws(
    () => loadConfig({ HUB_ACME_DIRECTORY: 'https://acme.example/dir', HUB_ACME_DOMAINS: 'hub.example.org' }),
    /set HUB_ACME_EMAIL/,
  );
  assert.throws(
    () => loadConfig({ HUB_SSL_CERT: '/x', HUB_SSL_KEY: '/y', HUB_HTTP_REDIRECT_PORT: '80' }),
    /HUB_HTTP_REDIRECT_PORT sends people to HUB_PUBLIC_URL: set it/,
  );
  assert.throws(() => loadConfig({ HUB_ACME_DIRECTORY: 'http://acme.example/dir' }), /must be an https:\/\/ URL/);
  assert.throws(
    () => loadConfig({ HUB_SSL_CERT: '/x', HUB_SSL_KEY: '/y', HUB_PUBLIC_URL: 'http://hub.example.org' }),
    /HUB_PUBLIC_URL must be https/,
  );
});

t.run();
