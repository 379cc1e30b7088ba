/**
 * The walking-skeleton journey against a hub that runs in a container (the demos): sign in,
 * start, run code in a kernel through the proxy, stop.
 */
import http from 'node:http';
import * as assert from 'uvu/assert';
import { type Client, follow, signedIn } from '../helpers/client';
import { containersOf } from '../helpers/docker';
import { runCode } from '../helpers/kernel';

/** The status of GET `url`, or 0 when nothing answers (node:http: fetch can hang on a half-open port). */
function status(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

export async function waitForHealth(url: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if ((await status(`${url}/hub/health`)) === 200) return;
    if (Date.now() > end) throw new Error(`${url}/hub/health did not answer 200 in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Signs in as alice, starts, runs code, runs `inside` (checks from within her server), stops.
 * A hub in a container reaches her server over its network (`network`); one on the host through
 * a port published on 127.0.0.1 only (`port`).
 */
export async function journey(
  url: string,
  hubName: string,
  access: 'network' | 'port',
  inside?: (alice: Client) => Promise<void>,
): Promise<void> {
  const alice = await signedIn(url, 'alice', 'alice-password');
  const start = await alice.api('POST', '/users/alice/server');
  assert.ok(start.status === 201 || start.status === 202, `start answered ${start.status}`);
  for (let i = 0; i < 120 && (await alice.request('/user/alice/api/status')).status !== 200; i++)
    await new Promise((r) => setTimeout(r, 500));
  const [container] = (await containersOf(hubName)).filter((c) => c.Labels['berth.user'] === 'alice');
  assert.ok(container, 'alice has a container');
  const published = container.Ports.filter((p) => p.PublicPort);
  if (access === 'network') assert.equal(published, [], 'reached over the hub network, no published port');
  else assert.ok(published.length > 0 && published.every((p) => p.IP === '127.0.0.1'), JSON.stringify(published));
  const out = await runCode(alice, 'alice', 'print(6*7)');
  assert.is(out.stdout, '42\n');
  if (inside) await inside(alice);
  assert.is((await alice.api('DELETE', '/users/alice/server')).status, 204);
  assert.not.ok((await containersOf(hubName)).some((c) => c.Labels['berth.user'] === 'alice'));
}

/**
 * alice's stock JupyterHub server (the catalogue file's `stock`) from a hub in a container: it
 * reaches the hub's API by the hub container's name, signs alice in by OAuth and runs code.
 */
export async function stockJourney(url: string): Promise<void> {
  const alice = await signedIn(url, 'alice', 'alice-password');
  const start = await alice.api('POST', '/users/alice/server', { image: 'stock' });
  assert.ok(start.status === 201 || start.status === 202, `start answered ${start.status}`);
  for (let i = 0; i < 120; i++) {
    const model = await (await alice.api('GET', '/users/alice')).json();
    if (model.servers['']?.ready) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const { res, visited } = await follow(alice, '/user/alice/tree');
  assert.is(res.status, 200, visited.join(' → '));
  assert.match(visited.join(' '), /\/hub\/api\/oauth2\/authorize/);
  assert.is((await runCode(alice, 'alice', 'print(6*7)')).stdout, '42\n');
  assert.is((await alice.api('DELETE', '/users/alice/server')).status, 204);
}
