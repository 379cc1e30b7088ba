/**
 * Pausing and the maximum age on the real engine: an idle server is frozen (docker pause) after
 * HUB_PAUSE_AFTER, its home page says so, and its next request through the proxy resumes it with
 * its kernel's variables kept; a server past HUB_MAX_AGE is stopped even while its kernel is busy,
 * its owner warned before and told why after.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { silentLogger } from '../../src/log';
import { Pauser } from '../../src/servers/pausing';
import { type Client, signedIn } from '../helpers/client';
import { docker } from '../helpers/docker';
import { startHub, type TestHub } from '../helpers/hub';
import { execute, startKernel } from '../helpers/kernel';
import { eventually } from '../helpers/wait';

interface Ctx {
  hub: TestHub;
  logs: string[];
  ann: Client;
  bob: Client;
  cat: Client;
}

const t = suite<Ctx>('pausing idle servers, and the maximum age');

t.before(async (ctx) => {
  ctx.logs = [];
  const settings = { HUB_PAUSE_AFTER: '2', HUB_IDLE_TIMEOUT: '600', HUB_MAX_AGE: '45' };
  ctx.hub = await startHub(settings, { logs: ctx.logs });
  for (const name of ['ann', 'bob', 'cat']) await ctx.hub.addUser(name, `${name}-password`);
  ctx.ann = await signedIn(ctx.hub.url, 'ann', 'ann-password');
  ctx.bob = await signedIn(ctx.hub.url, 'bob', 'bob-password');
  ctx.cat = await signedIn(ctx.hub.url, 'cat', 'cat-password');
});

t.after(async (ctx) => ctx.hub?.close());

async function paused(hub: TestHub, user: string): Promise<boolean> {
  const record = await hub.runtime.records.get(user);
  if (!record?.container) return false;
  return (await docker.getContainer(record.container).inspect()).State.Paused;
}

t('an idle server is paused, and its next request resumes it with its kernel as it was', async (ctx) => {
  assert.is((await ctx.ann.api('POST', '/users/ann/server')).status, 201);
  const kernel = await startKernel(ctx.ann, 'ann');
  assert.is((await execute(ctx.ann, 'ann', kernel, 'x = 6 * 7')).error, undefined);
  const said = (what: string) => ctx.logs.filter((l) => l.includes(what) && l.includes('"user":"ann"'));
  await eventually(
    async () => said('paused an idle server').length > 0,
    'the idle server is paused',
    60_000,
    100,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; the hub said: ${ctx.logs.slice(-12).join('\n')}`);
  });
  assert.ok(await paused(ctx.hub, 'ann'), `frozen, and not resumed by anything (${said('resumed').join(' ')})`);
  assert.match(await (await ctx.ann.request('/hub/home')).text(), /Your server is paused while idle/);
  assert.is((await ctx.hub.runtime.routes.get('ann'))?.paused, true);
  const model = (await (await ctx.ann.api('GET', '/users/ann')).json()) as {
    servers: Record<string, { ready: boolean; state?: { paused?: boolean } }>;
  };
  assert.equal([model.servers[''].ready, model.servers[''].state?.paused], [true, true], 'ready, and paused');

  const begun = performance.now();
  const res = await ctx.ann.request('/user/ann/api/kernels');
  const ms = performance.now() - begun;
  assert.is(res.status, 200);
  console.log(`    resumed and answered in ${ms.toFixed(0)} ms`);
  assert.not.ok(await paused(ctx.hub, 'ann'));
  assert.is((await ctx.hub.runtime.routes.get('ann'))?.paused, undefined);
  assert.is((await execute(ctx.ann, 'ann', kernel, 'print(x)')).stdout, '42\n');
  assert.is((await ctx.ann.api('DELETE', '/users/ann/server')).status, 204);
});

t('a request that comes while the engine freezes the server is let in, not left waiting', async (ctx) => {
  assert.is((await ctx.cat.api('POST', '/users/cat/server')).status, 201);
  const { spawner, routes, records, activity } = ctx.hub.runtime;
  const route = (await routes.get('cat'))!;
  let answered: Promise<number> | undefined;
  // A request that read the route before it said paused: its activity lands while the engine
  // freezes the server, and it waits in the frozen server's socket.
  const racing = new Pauser({
    spawner: {
      pause: async (id) => {
        await activity.touch('cat');
        await spawner.pause?.(id);
        const headers = { authorization: `token ${route.token}` };
        answered = fetch(`${route.target}/user/cat/api/status`, { headers }).then((res) => res.status);
      },
      unpause: (id) => spawner.unpause!(id),
    },
    routes,
    records,
    activity,
    log: silentLogger,
  });
  await activity.touch('cat');
  await racing.pause('cat', (await activity.get('cat')) ?? 0);
  assert.ok(answered, 'the engine was asked to freeze the server');
  assert.not.ok(await paused(ctx.hub, 'cat'), 'thawed at once');
  assert.is((await records.get('cat'))?.paused, undefined);
  assert.is((await routes.get('cat'))?.paused, undefined);
  assert.is(await answered, 200);
  assert.is((await ctx.cat.api('DELETE', '/users/cat/server')).status, 204);
});

t('a server past the maximum age is stopped though its kernel is busy; its owner is warned, then told', async (ctx) => {
  assert.is((await ctx.bob.api('POST', '/users/bob/server')).status, 201);
  const kernel = await startKernel(ctx.bob, 'bob');
  // Busy until stopped: never paused, and its end closes the kernel's connection.
  let ended = false;
  const cell = 'import time\nwhile True:\n    time.sleep(1)';
  const running = execute(ctx.bob, 'bob', kernel, cell, 120_000).catch(() => undefined);
  running.then(() => (ended = true));
  assert.match(
    await (await ctx.bob.request('/hub/home')).text(),
    /id="max-age">Your server will be stopped at \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/,
  );
  await new Promise((r) => setTimeout(r, 6000)); // three times HUB_PAUSE_AFTER
  assert.not.ok(await paused(ctx.hub, 'bob'), 'a busy server is not paused');
  assert.not.ok(ended, 'the cell still runs');
  await eventually(async () => !(await ctx.hub.runtime.records.get('bob')), 'stopped at its maximum age', 90_000, 500);
  await eventually(async () => ended, 'the busy cell ended with the server', 15_000, 200);
  assert.match(
    await (await ctx.bob.request('/hub/home')).text(),
    /Your server was stopped after 45 seconds, the longest this hub runs one \(HUB_MAX_AGE\)\./,
  );
});

t.run();
