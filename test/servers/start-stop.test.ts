/**
 * The server lifecycle on named fakes: starting and stopping, ready or pending, failures and
 * what their owners are told, the spawn queue, the active-server limit, cancelling a start,
 * and the metrics each outcome counts. A throwaway Redis, no Docker.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BerthError } from '../../src/errors';
import type { ProgressEvent } from '../../src/servers/progress';
import { FailingSpawner, FakeSpawner, NeverSpawner, SlowSpawner } from '../fakes/spawners';
import { type Lifecycle, lifecycle } from '../helpers/lifecycle';

const t = suite('servers: start and stop on fakes');

/** The error `work` rejects with (a BerthError), failing the test when it resolves. */
async function rejection(work: Promise<unknown>): Promise<BerthError> {
  try {
    await work;
  } catch (err) {
    assert.instance(err, BerthError);
    return err as BerthError;
  }
  assert.unreachable('expected a rejection');
  throw new Error('unreachable');
}

/** Every progress event of `user`'s current start, replayed and then followed to the end. */
function progressOf(life: Lifecycle, user: string): Promise<ProgressEvent[]> {
  return new Promise((resolve, reject) => {
    const events: ProgressEvent[] = [];
    const following = life.servers.progress.follow(user, (e) => {
      events.push(e);
      if (e.ready || e.failed) resolve(events);
    });
    if (!following) reject(new Error(`${user} has no start to follow`));
  });
}

async function withLife(
  spawner: FakeSpawner,
  opts: Parameters<typeof lifecycle>[1],
  work: (life: Lifecycle) => Promise<void>,
) {
  const life = await lifecycle(spawner, opts);
  try {
    for (const name of ['alice', 'bob', 'carol']) await life.users.create(name, { admin: false });
    await work(life);
  } finally {
    await life.close();
  }
}

t('a quick start is ready: routed, recorded running, activity reset, progress from requested to ready', async () => {
  await withLife(new FakeSpawner(), {}, async (life) => {
    assert.is(await life.servers.start('alice', 'r'), 'ready');
    const record = await life.records.get('alice');
    assert.is(record?.state, 'running');
    assert.is(record?.image, 'r');
    assert.is(record?.container, life.spawner.containers.get('alice')?.id);
    assert.equal(await life.routes.get('alice'), {
      user: 'alice',
      target: 'http://127.0.0.1:9/alice',
      token: life.spawner.containers.get('alice')!.token,
    });
    assert.ok((await life.activity.get('alice'))! > Date.now() - 5000);
    assert.is(await life.users.lastImage('alice'), 'r');
    const events = await progressOf(life, 'alice');
    assert.equal(
      events.map((e) => e.message),
      [
        'Server requested',
        'Creating your container from R',
        'Your server answers; routing it',
        'Server ready at /user/alice/',
      ],
    );
    assert.equal(
      events.map((e) => e.progress),
      [1, 45, 95, 100],
    );
    assert.equal((await life.servers.view('alice')).state, 'running');
  });
});

t(
  'a slow start answers pending, shows as starting, and then runs; a second request meanwhile starts nothing more',
  async () => {
    await withLife(new SlowSpawner(400), { slowMs: 50 }, async (life) => {
      assert.is(await life.servers.start('alice'), 'pending');
      assert.is((await life.servers.view('alice')).state, 'starting');
      assert.is((await life.records.get('alice'))?.state, 'starting');
      assert.is(await life.servers.start('alice'), 'pending');
      const events = await progressOf(life, 'alice');
      assert.ok(events.at(-1)?.ready, JSON.stringify(events));
      assert.equal(
        life.spawner.calls.filter((c) => c === 'start alice'),
        ['start alice'],
      );
      assert.is((await life.servers.view('alice')).state, 'running');
      // The bar only goes forward.
      const bar = events.map((e) => e.progress);
      assert.equal(
        bar,
        [...bar].sort((a, b) => a - b),
      );
    });
  },
);

t(
  'starting a running server is a 400, and an image not in the catalogue a 400 that leaves nothing behind',
  async () => {
    await withLife(new FakeSpawner(), {}, async (life) => {
      await life.servers.start('alice');
      assert.is((await rejection(life.servers.start('alice'))).status, 400);
      const bad = await rejection(life.servers.start('bob', 'cobol'));
      assert.is(bad.status, 400);
      assert.match(bad.message, /Image 'cobol' is not in the catalogue. Pick one of: python, r/);
      assert.is(await life.records.get('bob'), undefined);
      assert.is(await life.users.lastError('bob'), undefined, 'a refused request is not a failed server');
      assert.not.ok(life.spawner.calls.includes('start bob'));
    });
  },
);

t(
  'a failing start: the request fails with why, nothing stays recorded or routed, and the owner is told on ' +
    'their home page',
  async () => {
    await withLife(new FailingSpawner(), {}, async (life) => {
      const err = await rejection(life.servers.start('alice'));
      assert.is(err.status, 500);
      assert.match(err.message, /exited with code 1/);
      assert.is(await life.records.get('alice'), undefined);
      assert.is(await life.routes.get('alice'), undefined);
      assert.match((await life.users.lastError('alice')) ?? '', /exited with code 1/);
      const events = await progressOf(life, 'alice');
      assert.ok(events.at(-1)?.failed);
      assert.match(events.at(-1)!.message, /^Spawn failed: Your server stopped while starting/);
      const view = await life.servers.view('alice');
      assert.equal(view.state, 'stopped');
    });
  },
);

t('a stop removes the route before the container, then the record; stopping twice is safe', async () => {
  await withLife(new FakeSpawner(), {}, async (life) => {
    await life.servers.start('alice');
    let routedAtStop: unknown = 'unknown';
    const stop = life.spawner.stop.bind(life.spawner);
    life.spawner.stop = async (user) => {
      routedAtStop = await life.routes.get(user);
      await stop(user);
    };
    assert.is(await life.servers.stop('alice'), 'stopped');
    assert.is(routedAtStop, undefined, 'no traffic reaches a container that is stopping');
    assert.is(await life.records.get('alice'), undefined);
    assert.not.ok(life.spawner.containers.has('alice'));
    assert.is(await life.servers.stop('alice'), 'stopped');
    assert.is((await life.servers.view('alice')).state, 'stopped');
  });
});

t('a stop during a start that never gets ready cancels it: the start fails as cancelled, nothing is left', async () => {
  await withLife(new NeverSpawner(), { slowMs: 50 }, async (life) => {
    assert.is(await life.servers.start('alice'), 'pending');
    const events = progressOf(life, 'alice');
    assert.is(await life.servers.stop('alice'), 'stopped');
    assert.match((await events).at(-1)!.message, /cancelled/);
    assert.is(await life.records.get('alice'), undefined);
    assert.is(await life.users.lastError('alice'), undefined, 'a stop the owner asked for is not an error');
    assert.is(life.spawner.containers.size, 0);
  });
});

t('with one spawn slot, starts wait in line, hear their place, and all end running', async () => {
  await withLife(new SlowSpawner(150), { concurrentSpawnLimit: 1, slowMs: 0 }, async (life) => {
    for (const name of ['alice', 'bob', 'carol']) assert.is(await life.servers.start(name), 'pending');
    const [a, b, c] = await Promise.all(['alice', 'bob', 'carol'].map((n) => progressOf(life, n)));
    const heard = (events: ProgressEvent[]) => events.map((e) => e.message).filter((m) => /line/.test(m));
    assert.equal(heard(a), []);
    assert.equal(heard(b), ['Next in line to start']);
    assert.equal(heard(c), ['Waiting in line to start: 1 ahead of you', 'Next in line to start']);
    for (const events of [a, b, c]) assert.ok(events.at(-1)?.ready);
    assert.equal(
      life.spawner.calls.filter((x) => x.startsWith('start')),
      ['start alice', 'start bob', 'start carol'],
    );
  });
});

t('a start cancelled while in line leaves the line, and those behind it move up', async () => {
  await withLife(new SlowSpawner(300), { concurrentSpawnLimit: 1, slowMs: 0 }, async (life) => {
    for (const name of ['alice', 'bob', 'carol']) await life.servers.start(name);
    const carol = progressOf(life, 'carol');
    await life.servers.stop('bob');
    const messages = (await carol).map((e) => e.message);
    assert.ok(messages.indexOf('Next in line to start') > messages.indexOf('Waiting in line to start: 1 ahead of you'));
    assert.not.ok(life.spawner.calls.includes('start bob'));
    assert.ok((await carol).at(-1)?.ready);
  });
});

t('at HUB_ACTIVE_SERVER_LIMIT a start is a 429 with Retry-After that names the setting', async () => {
  await withLife(new FakeSpawner(), { activeServerLimit: 1 }, async (life) => {
    await life.servers.start('alice');
    const err = await rejection(life.servers.start('bob'));
    assert.is(err.status, 429);
    assert.match(err.message, /HUB_ACTIVE_SERVER_LIMIT/);
    assert.is(err.headers['Retry-After'], '30');
    await life.servers.stop('alice');
    assert.is(await life.servers.start('bob'), 'ready');
  });
});

t('metrics count each outcome under JupyterHub status labels, and route changes by success', async () => {
  await withLife(new FakeSpawner(), { activeServerLimit: 1 }, async (life) => {
    await life.servers.start('alice');
    await rejection(life.servers.start('bob'));
    await life.servers.stop('alice');
    const text = await life.metrics.render();
    const count = (series: string) => Number(new RegExp(`^${series} (\\d+)$`, 'm').exec(text)?.[1]);
    assert.is(count('jupyterhub_server_spawn_duration_seconds_count\\{status="success"\\}'), 1);
    assert.is(count('jupyterhub_server_spawn_duration_seconds_count\\{status="too-many-users"\\}'), 1);
    assert.is(count('jupyterhub_server_spawn_duration_seconds_count\\{status="failure"\\}'), 0);
    assert.is(count('jupyterhub_server_stop_seconds_count\\{status="success"\\}'), 1);
    assert.is(count('jupyterhub_proxy_add_duration_seconds_count\\{status="success"\\}'), 1);
    assert.ok(count('jupyterhub_proxy_delete_duration_seconds_count\\{status="success"\\}') >= 1);
  });
});

t.run();
