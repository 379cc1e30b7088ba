/**
 * Servers that die on their own: killed from outside, or out of memory. Docker's events make
 * the hub drop the route within seconds and tell the owner why; the periodic reconcile does the
 * same without events; a new start works.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { keys } from '../../src/store/keys';
import { type Client, signedIn } from '../helpers/client';
import { containersOf, docker } from '../helpers/docker';
import { startHub, type TestHub } from '../helpers/hub';
import { runCode } from '../helpers/kernel';
import { eventually } from '../helpers/wait';

interface Ctx {
  hub: TestHub;
  alice: Client;
}

const t = suite<Ctx>('servers that die');

t.before(async (ctx) => {
  ctx.hub = await startHub({ HUB_IMAGE_LIMITS: 'python:memory=160m' });
  await ctx.hub.addUser('alice', 'alice-password');
  ctx.alice = await signedIn(ctx.hub.url, 'alice', 'alice-password');
});

t.after(async (ctx) => ctx.hub?.close());

async function aliceContainer(ctx: Ctx): Promise<string> {
  const [c] = (await containersOf(ctx.hub.hubName)).filter((x) => x.Labels['berth.user'] === 'alice');
  return c.Id;
}

async function stoppedBecause(ctx: Ctx, pattern: RegExp): Promise<void> {
  const redis = ctx.hub.redis.client();
  await eventually(
    async () => (await redis.exists(keys.route('alice'), keys.server('alice'))) === 0,
    'the route and the server record are gone',
    10_000,
  );
  const model = await (await ctx.alice.api('GET', '/users/alice')).json();
  assert.is(model.server, null);
  assert.equal(model.servers, {});
  const home = await (await ctx.alice.request('/hub/home')).text();
  assert.match(home, /data-state="stopped"/);
  assert.match(home, pattern);
  assert.is((await ctx.alice.request('/user/alice/api/status')).status, 503);
}

t('docker kill: the route goes within seconds and the home page says the server was killed', async (ctx) => {
  assert.is((await ctx.alice.api('POST', '/users/alice/server')).status, 201);
  await docker.getContainer(await aliceContainer(ctx)).kill();
  await stoppedBecause(ctx, /Your server stopped: it was killed \(exit code 137\)/);
});

t('a new start works after a crash', async (ctx) => {
  assert.is((await ctx.alice.api('POST', '/users/alice/server')).status, 201);
  assert.is((await ctx.alice.request('/user/alice/api/status')).status, 200);
  assert.not.match(await (await ctx.alice.request('/hub/home')).text(), /last-error/);
});

t('out of memory: the home page says so', async (ctx) => {
  // Make the notebook server itself the OOM killer's choice, then use more than HUB_IMAGE_LIMITS allows.
  const code = [
    'import os',
    'open(f"/proc/{os.getppid()}/oom_score_adj", "w").write("1000")',
    'hog = bytearray(400 * 1024 * 1024)',
  ].join('\n');
  await runCode(ctx.alice, 'alice', code, 'python3', 30_000).catch(() => undefined); // the kernel dies with its server
  await stoppedBecause(ctx, /Your server stopped: it ran out of memory \(HUB_MEM_LIMIT\)/);
});

t('without Docker events, the periodic reconcile notices a dead server', async () => {
  const hub = await startHub({}, { background: false });
  try {
    await hub.addUser('dave', 'dave-password');
    const dave = await signedIn(hub.url, 'dave', 'dave-password');
    assert.is((await dave.api('POST', '/users/dave/server')).status, 201);
    const [c] = await containersOf(hub.hubName);
    await docker.getContainer(c.Id).kill();
    assert.ok(await hub.redis.client().exists(keys.route('dave')), 'nothing has noticed yet');
    await hub.runtime.servers.reconcile();
    assert.is(await hub.redis.client().exists(keys.route('dave')), 0);
    assert.match((await hub.runtime.users.lastError('dave')) ?? '', /it was killed/);
  } finally {
    await hub.close();
  }
});

t.run();
