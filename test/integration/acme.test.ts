/**
 * A certificate from an ACME CA: the hub asks Pebble (Let's Encrypt's test CA, run here) with the
 * HTTP-01 challenge, which Pebble checks on the hub's plain-HTTP port, then serves HTTPS with it;
 * a restart reuses the certificate it keeps, and a change of names gets a new one.
 */
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startAcmeCa, type TestAcmeCa } from '../helpers/acme-ca';
import { startHub } from '../helpers/hub';
import { freePort } from '../helpers/redis';
import { makeCa, type TestCa } from '../helpers/tls';

interface Ctx {
  ca: TestCa;
  acme: TestAcmeCa;
  redirectPort: number;
  dataDir: string;
}

const t = suite<Ctx>('HTTPS with a certificate from an ACME CA');

t.before(async (ctx) => {
  ctx.ca = makeCa();
  ctx.redirectPort = await freePort();
  ctx.acme = await startAcmeCa(ctx.ca, ctx.redirectPort);
  ctx.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-acme-'));
});

t.after(async (ctx) => {
  await ctx.acme?.stop();
  ctx.ca?.remove();
  fs.rmSync(ctx.dataDir, { recursive: true, force: true });
});

function acmeHub(ctx: Ctx, port: number, domains: string, logs: string[]) {
  return startHub(
    {
      HUB_PORT: String(port),
      HUB_DATA_DIR: ctx.dataDir,
      HUB_PUBLIC_URL: `https://${domains.split(',')[0]}:${port}`,
      HUB_ACME_DIRECTORY: ctx.acme.directory,
      HUB_ACME_DOMAINS: domains,
      HUB_ACME_EMAIL: 'admin@berth.test',
      HUB_ACME_ACCEPT_TERMS: 'yes',
      HUB_ACME_CA_FILE: ctx.ca.caFile,
      HUB_HTTP_REDIRECT_PORT: String(ctx.redirectPort),
    },
    { background: false, logs },
  );
}

/** Connects as a browser would to `name` (resolved to 127.0.0.1), trusting Pebble's root only. */
function presented(port: number, name: string, root: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: name, ca: root }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.end();
      if (!cert) reject(new Error('no certificate'));
      else resolve(cert);
    });
    socket.on('error', reject);
  });
}

t('the hub obtains a certificate over HTTP-01 and serves HTTPS with it', async (ctx) => {
  const port = await freePort();
  const logs: string[] = [];
  const hub = await acmeHub(ctx, port, 'hub.berth.test', logs);
  try {
    const root = await ctx.acme.root();
    const cert = await presented(port, 'hub.berth.test', root);
    assert.ok(cert.checkHost('hub.berth.test'));
    assert.match(cert.issuer, /Pebble/);
    assert.ok(logs.some((l) => l.includes('"msg":"certificate obtained"')));
    const kept = path.join(ctx.dataDir, 'acme');
    assert.is((fs.statSync(path.join(kept, 'key.pem')).mode & 0o777).toString(8), '600');
    assert.is((fs.statSync(path.join(kept, 'account.key')).mode & 0o777).toString(8), '600');
  } finally {
    await hub.close();
  }
});

t('a restart reuses the certificate it keeps; new names get a new one', async (ctx) => {
  const root = await ctx.acme.root();
  const first = new X509Certificate(fs.readFileSync(path.join(ctx.dataDir, 'acme', 'cert.pem')));
  const port = await freePort();
  const logs: string[] = [];
  let hub = await acmeHub(ctx, port, 'hub.berth.test', logs);
  try {
    assert.is((await presented(port, 'hub.berth.test', root)).fingerprint256, first.fingerprint256);
    assert.not.ok(logs.some((l) => l.includes('asking the ACME CA')));
  } finally {
    await hub.close();
  }
  hub = await acmeHub(ctx, port, 'hub.berth.test,notebooks.berth.test', logs);
  try {
    const cert = await presented(port, 'notebooks.berth.test', root);
    assert.not.equal(cert.fingerprint256, first.fingerprint256);
    assert.ok(cert.checkHost('notebooks.berth.test'));
    assert.ok(cert.checkHost('hub.berth.test'));
  } finally {
    await hub.close();
  }
});

t.run();
