/**
 * Activity and idle culling: the proxy records traffic (HTTP requests and WebSocket frames)
 * as last_activity, and the hub stops servers idle longer than HUB_IDLE_TIMEOUT, but not while a
 * kernel runs a cell (Berth's images, and stock JupyterHub images).
 */
import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import WebSocket from 'ws';
import { keys } from '../../src/store/keys';
import { type Client, follow, signedIn } from '../helpers/client';
import { containersOf } from '../helpers/docker';
import { startHub, type TestHub } from '../helpers/hub';
import { execute, startKernel } from '../helpers/kernel';
import { eventually } from '../helpers/wait';

interface Ctx {
  hub: TestHub;
  alice: Client;
}

const t = suite<Ctx>('activity and idle culling');
const IDLE_SECONDS = 4;

t.before(async (ctx) => {
  ctx.hub = await startHub({ HUB_IDLE_TIMEOUT: String(IDLE_SECONDS) });
  await ctx.hub.addUser('alice', 'alice-password');
  ctx.alice = await signedIn(ctx.hub.url, 'alice', 'alice-password');
});

t.after(async (ctx) => ctx.hub?.close());

async function lastActivity(alice: Client): Promise<string> {
  return (await (await alice.api('GET', '/users/alice')).json()).servers[''].last_activity;
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

t('a start counts as activity; last_activity is ISO 8601 with Z', async ({ alice }) => {
  assert.is((await alice.api('POST', '/users/alice/server')).status, 201);
  assert.match(await lastActivity(alice), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

t('HTTP traffic through the proxy keeps the server alive and moves last_activity', async ({ alice, hub }) => {
  const before = await lastActivity(alice);
  for (let i = 0; i < (IDLE_SECONDS * 1.5 * 1000) / 400; i++) {
    assert.is((await alice.request('/user/alice/api/status')).status, 200);
    await sleep(400);
  }
  assert.ok((await lastActivity(alice)) > before);
  assert.is((await containersOf(hub.hubName)).length, 1, 'not culled while in use');
});

t('WebSocket frames alone keep it alive', async ({ alice, hub }) => {
  const kernel = await (
    await alice.request('/user/alice/api/kernels', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
  ).json();
  const ws = new WebSocket(`${hub.url.replace('http', 'ws')}/user/alice/api/kernels/${kernel.id}/channels`, {
    headers: { cookie: alice.cookieHeader('/user/alice/') },
  });
  // The notebook server holds the upgrade until the new kernel answers, which on a loaded
  // machine can take longer than the idle timeout: HTTP keeps the server in use until it opens.
  let opening = true;
  const meanwhile = (async () => {
    while (opening) {
      await alice.request('/user/alice/api/status');
      await sleep(400);
    }
  })();
  await new Promise((resolve, reject) => {
    ws.on('open', resolve);
    ws.on('error', reject);
  }).finally(() => {
    opening = false;
  });
  await meanwhile;
  const session = randomUUID();
  const started = Date.now();
  while (Date.now() - started < IDLE_SECONDS * 1.5 * 1000) {
    ws.send(
      JSON.stringify({
        header: { msg_id: randomUUID(), username: 'a', session, msg_type: 'kernel_info_request', version: '5.3' },
        parent_header: {},
        metadata: {},
        content: {},
        channel: 'shell',
        buffers: [],
      }),
    );
    await sleep(400);
  }
  ws.close();
  assert.is((await containersOf(hub.hubName)).length, 1, 'not culled while the kernel socket is busy');
});

t('a kernel running a cell is not idle: the server outlives the timeout with no traffic', async ({ alice }) => {
  const kernel = await startKernel(alice, 'alice');
  // Traffic now: a slow kernel start on a busy machine must not leave a gap of a timeout before the cell.
  assert.is((await alice.request('/user/alice/api/status')).status, 200);
  // Three idle timeouts without a frame: the cell prints nothing until it ends.
  const cell = `import time\ntime.sleep(${3 * IDLE_SECONDS})\nprint('done')`;
  const out = await execute(alice, 'alice', kernel, cell, 60_000);
  assert.is(out.error, undefined, out.error);
  assert.is(out.stdout, 'done\n', 'the server was still there when the cell ended');
});

t("a stock JupyterHub image's busy kernel is asked too, with a token that is gone after", async ({ hub }) => {
  await hub.addUser('sam', 'sam-password');
  const sam = await signedIn(hub.url, 'sam', 'sam-password');
  const start = await sam.api('POST', '/users/sam/server', { image: 'stock' });
  assert.is(start.status, 201, await start.clone().text());
  // The stock server signs sam in through the hub's OAuth, as a browser would.
  assert.is((await follow(sam, '/user/sam/tree')).res.status, 200);
  const kernel = await startKernel(sam, 'sam');
  assert.is((await sam.request('/user/sam/api/status')).status, 200);
  const cell = `import time\ntime.sleep(${3 * IDLE_SECONDS})\nprint('done')`;
  const out = await execute(sam, 'sam', kernel, cell, 60_000);
  assert.is(out.stdout, 'done\n', 'the stock server was still there when the cell ended');
  const notes = (await hub.runtime.tokens.list('sam')).map((token) => token.note);
  assert.not.ok(notes.includes('The idle culler asks whether a kernel is busy'), notes.join(', '));
});

t('idle longer than HUB_IDLE_TIMEOUT: the hub stops the server', async ({ alice, hub }) => {
  await eventually(
    async () => (await containersOf(hub.hubName)).length === 0,
    'the idle server is stopped',
    30_000,
    250,
  );
  assert.is(await hub.redis.client().exists(keys.route('alice')), 0);
  const model = await (await alice.api('GET', '/users/alice')).json();
  assert.is(model.server, null);
});

t.run();
