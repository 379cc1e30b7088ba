/**
 * Keeping Redis in step with the engine, on fakes: a server that dies is noticed and its owner
 * told why; reconciling adopts what runs unrouted, stops strays of deleted users, ends records
 * whose containers are gone, finishes interrupted stops, and drops routes to nothing; the
 * culler stops idle servers only. A throwaway Redis, no Docker.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cull } from '../../src/servers/culler';
import { DyingSpawner, FakeSpawner } from '../fakes/spawners';
import { type Lifecycle, lifecycle } from '../helpers/lifecycle';
import { eventually } from '../helpers/wait';

const t = suite('servers: reconcile, exits and culling on fakes');

async function withLife(spawner: FakeSpawner, work: (life: Lifecycle) => Promise<void>) {
  const life = await lifecycle(spawner);
  try {
    for (const name of ['alice', 'bob', 'carol', 'dave']) await life.users.create(name, { admin: false });
    await work(life);
  } finally {
    await life.close();
  }
}

t('a server that dies after starting loses its route and record, and its owner learns why', async () => {
  await withLife(new DyingSpawner(100), async (life) => {
    const stopWatching = life.servers.watch();
    try {
      assert.is(await life.servers.start('alice'), 'ready');
      await eventually(async () => (await life.records.get('alice')) === undefined, 'the dead server is forgotten');
      assert.is(await life.routes.get('alice'), undefined);
      assert.is(await life.users.lastError('alice'), 'Your server stopped: it ran out of memory (HUB_MEM_LIMIT).');
      assert.equal(await life.servers.view('alice'), {
        state: 'stopped',
        lastError: 'Your server stopped: it ran out of memory (HUB_MEM_LIMIT).',
      });
    } finally {
      stopWatching();
    }
  });
});

t('an exit of an older container of the user changes nothing', async () => {
  await withLife(new FakeSpawner(), async (life) => {
    await life.servers.start('alice');
    await life.servers.containerExited('alice', 'some-older-container', 'it exited with code 0');
    assert.is((await life.records.get('alice'))?.state, 'running');
    assert.ok(await life.routes.get('alice'));
  });
});

t('reconcile makes Redis agree with the engine, whatever each side lost', async () => {
  await withLife(new FakeSpawner(), async (life) => {
    const { spawner, records, routes, users } = life;
    // alice: runs, but Redis lost everything about it (an earlier hub started it).
    spawner.leftRunning('alice', 'r');
    // bob: recorded running, but his container is gone.
    await records.put({
      user: 'bob',
      state: 'running',
      image: 'python',
      started: new Date().toISOString(),
      container: 'gone',
    });
    await routes.set({ user: 'bob', target: 'http://127.0.0.1:9/bob', token: 't' });
    // carol: a stop an earlier hub began and did not finish.
    spawner.leftRunning('carol');
    await records.put({
      user: 'carol',
      state: 'stopping',
      image: 'python',
      started: new Date().toISOString(),
      container: spawner.containers.get('carol')!.id,
    });
    // dave: a start interrupted before his container ran.
    await records.put({ user: 'dave', state: 'starting', image: 'python', started: new Date().toISOString() });
    // erin: a running container of a user who no longer exists.
    spawner.leftRunning('erin');
    // frank: a route to nothing.
    await routes.set({ user: 'frank', target: 'http://127.0.0.1:9/frank', token: 't' });

    await life.servers.reconcile();
    await eventually(async () => (await records.get('alice'))?.state === 'running', 'alice is adopted');

    const alice = await records.get('alice');
    assert.is(alice?.image, 'r', 'the image comes from the container label');
    assert.is(alice?.container, spawner.containers.get('alice')?.id);
    assert.is((await routes.get('alice'))?.token, spawner.containers.get('alice')?.token);

    assert.is(await records.get('bob'), undefined);
    assert.is(await routes.get('bob'), undefined);
    assert.is(await users.lastError('bob'), 'Your server stopped: its container is gone.');

    assert.is(await records.get('carol'), undefined);
    assert.not.ok(spawner.containers.has('carol'), "carol's stop is finished");
    assert.is(await users.lastError('carol'), undefined);

    assert.is(await records.get('dave'), undefined);
    assert.match((await users.lastError('dave')) ?? '', /interrupted when the hub restarted/);

    assert.not.ok(spawner.containers.has('erin'), 'a stray of a deleted user is stopped, not adopted');
    assert.is(await records.get('erin'), undefined);

    assert.is(await routes.get('frank'), undefined);

    // A second pass finds nothing left to fix.
    const calls = spawner.calls.length;
    await life.servers.reconcile();
    assert.is(spawner.calls.length, calls);
  });
});

t('a running server whose route Redis lost is routed again to the same container', async () => {
  await withLife(new FakeSpawner(), async (life) => {
    await life.servers.start('alice');
    const container = life.spawner.containers.get('alice')!.id;
    await life.routes.delete('alice');
    await life.servers.reconcile();
    await eventually(async () => (await life.routes.get('alice')) !== undefined, 'the route is back');
    assert.is((await life.records.get('alice'))?.container, container);
    assert.equal(
      life.spawner.calls.filter((c) => c === 'start alice'),
      ['start alice'],
      'nothing was restarted',
    );
  });
});

t('the culler stops servers idle past the timeout and keeps those in use', async () => {
  await withLife(new FakeSpawner(), async (life) => {
    for (const name of ['alice', 'bob', 'carol']) await life.servers.start(name);
    await life.activity.reset('alice', Date.now() - 120_000);
    await life.activity.reset('bob', Date.now() - 120_000);
    await life.activity.reset('carol', Date.now() - 5_000);
    const culled = await cull(life, { idleMs: 60_000 });
    assert.equal(culled.sort(), ['alice', 'bob']);
    assert.equal([...life.spawner.containers.keys()], ['carol']);
    assert.is((await life.records.get('carol'))?.state, 'running');
  });
});

t.run();
