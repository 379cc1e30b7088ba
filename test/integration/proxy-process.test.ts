/**
 * `berth proxy`: the proxy as its own process in front of the hub, sharing its Redis as the
 * read-only proxy account; the whole journey goes through it.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { proxyAddress } from '../../src/store/embedded-redis';
import { connectRedis } from '../../src/store/redis';
import { berth, berthProcess, exited, serveProcess } from '../helpers/cli';
import { signedIn } from '../helpers/client';
import { removeHubObjects } from '../helpers/docker';
import { runCode } from '../helpers/kernel';
import { freePort } from '../helpers/redis';
import { makeCa } from '../helpers/tls';

interface Ctx {
  dataDir: string;
  env: Record<string, string>;
  hub: ChildProcess;
  proxy: ChildProcess;
  proxyUrl: string;
}

const t = suite<Ctx>('berth proxy');

t.before(async (ctx) => {
  ctx.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-'));
  const [hubPort, proxyPort] = [await freePort(), await freePort()];
  ctx.env = {
    HUB_DATA_DIR: ctx.dataDir,
    HUB_PORT: String(hubPort),
    PROXY_PORT: String(proxyPort),
    PROXY_HUB_URL: `http://127.0.0.1:${hubPort}`,
    HUB_TRUST_X_FORWARDED: 'yes',
    HUB_BUILD_IMAGES: 'never',
    HUB_NAME: 'btproxy',
    HUB_NETWORK: 'btproxy',
    HUB_SERVER_ACCESS: 'port',
  };
  ctx.hub = (await serveProcess(ctx.env)).child;
  ctx.proxy = (await berthProcess(['proxy'], 'Berth proxy is running', ctx.env)).child;
  ctx.proxyUrl = `http://127.0.0.1:${proxyPort}`;
  const add = await berth(['user', 'add', 'alice'], ctx.env, 'alice-password\n');
  assert.is(add.code, 0, add.stderr);
});

t.after(async (ctx) => {
  for (const child of [ctx.proxy, ctx.hub]) {
    if (!child) continue;
    child.kill('SIGTERM');
    await exited(child);
  }
  await removeHubObjects('btproxy');
  fs.rmSync(ctx.dataDir, { recursive: true, force: true });
});

t('the whole journey goes through the separate proxy', async (ctx) => {
  const alice = await signedIn(ctx.proxyUrl, 'alice', 'alice-password');
  assert.is((await alice.api('POST', '/users/alice/server')).status, 201);
  assert.is((await alice.request('/user/alice/api/status')).status, 200);
  assert.is((await runCode(alice, 'alice', 'print(6*7)')).stdout, '42\n');
  assert.is((await fetch(`${ctx.proxyUrl}/user/alice/api/status`)).status, 403);
  assert.is((await alice.api('DELETE', '/users/alice/server')).status, 204);
});

t("the proxy's Redis account reads what it needs and writes nothing but activity", async (ctx) => {
  const redis = connectRedis(proxyAddress(ctx.dataDir), 'test-proxy-account');
  try {
    assert.is(await redis.get('berth:route:alice'), null);
    assert.is(await redis.get('berth:session:x'), null);
    assert.type(await redis.zadd('berth:activity', 'GT', Date.now(), 'alice'), 'number');
    for (const attempt of [
      () => redis.set('berth:route:alice', '{"target":"http://evil"}'),
      () => redis.hset('berth:user:alice', 'admin', '1'),
      () => redis.set('berth:session:forged', '{"passport":{"user":"alice"}}'),
      () => redis.del('berth:user:alice'),
      () => redis.keys('*'),
      () => redis.flushall(),
      () => redis.call('CONFIG', 'GET', 'requirepass'),
    ]) {
      await attempt().then(
        () => assert.unreachable('the proxy account was allowed to write'),
        (err: Error) => assert.match(err.message, /NOPERM/),
      );
    }
  } finally {
    redis.disconnect();
  }
});

t('a proxy replica serves HTTPS from certificate files, in front of the plain-HTTP hub', async (ctx) => {
  const ca = makeCa();
  const { cert, key } = ca.issue('proxy');
  const port = await freePort();
  const replica = await berthProcess(['proxy'], 'Berth proxy is running', {
    ...ctx.env,
    PROXY_PORT: String(port),
    HUB_SSL_CERT: cert,
    HUB_SSL_KEY: key,
  });
  try {
    const page = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      https
        .get({ host: '127.0.0.1', port, path: '/hub/login', ca: fs.readFileSync(ca.caFile) }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => {
            body += d.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        })
        .on('error', reject);
    });
    assert.is(page.status, 200);
    assert.match(page.body, /id="username_input"/);
  } finally {
    replica.child.kill('SIGTERM');
    await exited(replica.child);
    ca.remove();
  }
});

t.run();
