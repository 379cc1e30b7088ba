/**
 * A hub killed with kill -9 while servers run and one is mid-start, then started again: running
 * containers are adopted (same container, kernels alive, routes intact), the interrupted start
 * is finished or cleaned up, a container removed during the downtime is marked stopped, nothing
 * is duplicated; and routes come back from Docker's labels when Redis lost them.
 */

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { keys } from '../../src/store/keys';
import { type Client, signedIn } from '../helpers/client';
import { containersOf, docker } from '../helpers/docker';
import { type HubProcess, hubProcess } from '../helpers/hub-process';
import { execute, startKernel } from '../helpers/kernel';
import { eventually } from '../helpers/wait';

interface Ctx {
  hub: HubProcess;
  clients: Record<string, Client>;
  aliceContainer: string;
  kernel: string;
}

const t = suite<Ctx>('hub restarts');

async function userContainers(ctx: Ctx, user: string) {
  return (await containersOf(ctx.hub.hubName)).filter((c) => c.Labels['berth.user'] === user);
}

t.before(async (ctx) => {
  ctx.hub = await hubProcess('btrestart', ['alice', 'bob', 'carol']);
  await ctx.hub.serve();
  ctx.clients = {};
  for (const name of ['alice', 'bob', 'carol']) ctx.clients[name] = await signedIn(ctx.hub.url, name, 'a-password');
});

t.after(async (ctx) => ctx.hub?.stop());

t(
  'before: alice runs with a kernel holding state, bob runs, carol is mid-start when the hub is killed; then ' +
    "bob's container is removed",
  async (ctx) => {
    const { alice, bob, carol } = ctx.clients;
    assert.is((await alice.api('POST', '/users/alice/server')).status, 201);
    ctx.aliceContainer = (await userContainers(ctx, 'alice'))[0].Id;
    ctx.kernel = await startKernel(alice, 'alice');
    assert.is((await execute(alice, 'alice', ctx.kernel, 'x = 41')).error, undefined);
    assert.is((await bob.api('POST', '/users/bob/server')).status, 201);
    void carol.api('POST', '/users/carol/server').catch(() => undefined);
    await eventually(
      async () => (await userContainers(ctx, 'carol')).length === 1,
      "carol's container exists",
      10_000,
      20,
    );
    await ctx.hub.kill9();
    // During the downtime, bob's container is removed behind the hub's back.
    const [bobs] = await userContainers(ctx, 'bob');
    assert.is(bobs.State, 'running');
    await docker.getContainer(bobs.Id).remove({ force: true });
    assert.equal(await userContainers(ctx, 'bob'), []);
    assert.is(await ctx.hub.redis.client().hget(keys.server('bob'), 'state'), 'running', 'Redis still thinks it runs');
  },
);

t("after the restart alice's server is adopted: same container, route intact, kernel state alive", async (ctx) => {
  await ctx.hub.serve();
  const { alice } = ctx.clients;
  const [container] = await userContainers(ctx, 'alice');
  assert.is(container.Id, ctx.aliceContainer);
  assert.is((await alice.request('/user/alice/api/status')).status, 200);
  const kernels = (await (await alice.request('/user/alice/api/kernels')).json()) as Array<{ id: string }>;
  assert.ok(
    kernels.some((k) => k.id === ctx.kernel),
    'the kernel still runs',
  );
  assert.is((await execute(alice, 'alice', ctx.kernel, 'print(x + 1)')).stdout, '42\n');
});

t("bob's server, removed meanwhile, is marked stopped with its route deleted and a reason", async (ctx) => {
  const redis = ctx.hub.redis.client();
  assert.is(await redis.exists(keys.route('bob')), 0);
  assert.is(await redis.exists(keys.server('bob')), 0);
  const model = await (await ctx.clients.bob.api('GET', '/users/bob')).json();
  assert.is(model.server, null);
  assert.match(await (await ctx.clients.bob.request('/hub/home')).text(), /Your server stopped: its container is gone/);
  assert.is((await ctx.clients.bob.api('POST', '/users/bob/server')).status, 201, 'and bob can start again');
});

t("carol's interrupted start is finished or cleaned up, never duplicated", async (ctx) => {
  const redis = ctx.hub.redis.client();
  const settled = await eventually(
    async () => {
      const state = await redis.hget(keys.server('carol'), 'state');
      return state === 'running' ? 'running' : state === null ? 'stopped' : undefined;
    },
    "carol's start is settled",
    30_000,
  );
  const containers = await userContainers(ctx, 'carol');
  if (settled === 'running') {
    assert.is(containers.length, 1);
    assert.is(containers[0].State, 'running');
    assert.is((await ctx.clients.carol.request('/user/carol/api/status')).status, 200);
  } else {
    assert.ok(
      containers.every((c) => c.State !== 'running'),
      'no running container without a route',
    );
    assert.is(await redis.exists(keys.route('carol')), 0);
    assert.is((await ctx.clients.carol.api('POST', '/users/carol/server')).status, 201, 'carol can start again');
  }
  for (const user of ['alice', 'bob', 'carol'])
    assert.ok((await userContainers(ctx, user)).length <= 1, `one container at most for ${user}`);
});

t("routes and server state come back from Docker's labels when Redis lost them", async (ctx) => {
  await ctx.hub.kill9();
  const redis = ctx.hub.redis.client();
  await redis.del(keys.route('alice'), keys.server('alice'));
  await redis.zrem(keys.routes, 'alice');
  await redis.zrem(keys.servers, 'alice');
  await ctx.hub.serve();
  assert.is(await redis.hget(keys.server('alice'), 'state'), 'running');
  assert.is(await redis.hget(keys.server('alice'), 'container'), ctx.aliceContainer);
  assert.is((await ctx.clients.alice.request('/user/alice/api/status')).status, 200);
  assert.is((await execute(ctx.clients.alice, 'alice', ctx.kernel, 'print(x * 2)')).stdout, '82\n');
});

t.run();
