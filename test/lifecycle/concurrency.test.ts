/**
 * Many starts at once: twenty requests for one user make one container; a limit on concurrent
 * spawns makes the excess wait in line (and say so) instead of failing; different users' starts
 * overlap; HUB_ACTIVE_SERVER_LIMIT answers 429 with Retry-After.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { signedIn } from '../helpers/client';
import { containersOf, docker } from '../helpers/docker';
import { startHub } from '../helpers/hub';
import { readEvents } from '../helpers/wait';

const t = suite('concurrent starts');

t('20 parallel starts for one user make exactly one container', async () => {
  const hub = await startHub();
  try {
    await hub.addUser('alice', 'alice-password');
    const alice = await signedIn(hub.url, 'alice', 'alice-password');
    const statuses = await Promise.all(
      Array.from({ length: 20 }, () => alice.api('POST', '/users/alice/server').then((r) => r.status)),
    );
    assert.ok(
      statuses.every((s) => s === 201 || s === 202),
      statuses.join(','),
    );
    assert.is(statuses.filter((s) => s === 201).length, 1, statuses.join(','));
    assert.is((await containersOf(hub.hubName)).length, 1);
    assert.is((await alice.request('/user/alice/api/status')).status, 200);
  } finally {
    await hub.close();
  }
});

t('different users start at the same time: the second container exists before the first server is ready', async () => {
  const hub = await startHub();
  try {
    const names = ['u1', 'u2', 'u3'];
    const clients = await Promise.all(
      names.map(async (n) => {
        await hub.addUser(n, 'a-password');
        return signedIn(hub.url, n, 'a-password');
      }),
    );
    const readyAt: Record<string, number> = {};
    await Promise.all(
      clients.map(async (c, i) => {
        const res = await c.api('POST', `/users/${names[i]}/server`);
        assert.is(res.status, 201);
        readyAt[names[i]] = Date.now();
      }),
    );
    const created = Object.fromEntries(
      await Promise.all(
        (await containersOf(hub.hubName)).map(
          async (c) =>
            [c.Labels['berth.user'], Date.parse((await docker.getContainer(c.Id).inspect()).Created)] as const,
        ),
      ),
    );
    const firstReady = Math.min(...Object.values(readyAt));
    assert.ok(
      Object.values(created).every((at) => at < firstReady),
      `created ${JSON.stringify(created)}, first ready ${firstReady}`,
    );
  } finally {
    await hub.close();
  }
});

t('with HUB_CONCURRENT_SPAWN_LIMIT=1 the start that comes second waits in line, says so, and then runs', async () => {
  const hub = await startHub({ HUB_CONCURRENT_SPAWN_LIMIT: '1', HUB_SLOW_SPAWN_TIMEOUT: '0' });
  try {
    await hub.addUser('first', 'a-password');
    await hub.addUser('second', 'a-password');
    const first = await signedIn(hub.url, 'first', 'a-password');
    const second = await signedIn(hub.url, 'second', 'a-password');
    // Answering at once still refuses what cannot start, rather than accepting it.
    assert.is((await first.api('POST', '/users/first/server', { image: 'alpine' })).status, 400);
    assert.is((await first.api('POST', '/users/first/server')).status, 202);
    assert.is((await second.api('POST', '/users/second/server')).status, 202);
    // A 202 means the start is recorded: the model already shows it pending.
    assert.is((await (await first.api('GET', '/users/first')).json()).pending, 'spawn');
    assert.is((await (await second.api('GET', '/users/second')).json()).pending, 'spawn');
    const runs = await Promise.all([
      readEvents(await first.request('/hub/api/users/first/server/progress')),
      readEvents(await second.request('/hub/api/users/second/server/progress')),
    ]);
    const messages = runs.map((events) => events.map((e) => String(e.message)));
    assert.ok(
      runs.every((events) => events[events.length - 1].ready),
      messages.join('\n---\n'),
    );
    // Both starts are accepted at once, so either may reach the slot first; the other must wait.
    const waited = messages.filter((m) => m.some((message) => /in line/i.test(message)));
    assert.is(waited.length, 1, messages.join('\n---\n'));
    const [line] = waited;
    const queuedAt = line.indexOf('Next in line to start');
    assert.ok(
      queuedAt >= 0 && queuedAt < line.findIndex((m) => m.startsWith('Creating your container')),
      line.join('\n'),
    );
    assert.is((await containersOf(hub.hubName)).length, 2);
  } finally {
    await hub.close();
  }
});

t('at HUB_ACTIVE_SERVER_LIMIT a start is 429 with Retry-After, and no container is made', async () => {
  const hub = await startHub({ HUB_ACTIVE_SERVER_LIMIT: '1' });
  try {
    await hub.addUser('alice', 'a-password');
    await hub.addUser('bob', 'a-password');
    const alice = await signedIn(hub.url, 'alice', 'a-password');
    const bob = await signedIn(hub.url, 'bob', 'a-password');
    assert.is((await alice.api('POST', '/users/alice/server')).status, 201);
    const res = await bob.api('POST', '/users/bob/server');
    assert.is(res.status, 429);
    assert.is(res.headers.get('retry-after'), '30');
    assert.match((await res.json()).message, /HUB_ACTIVE_SERVER_LIMIT/);
    assert.is((await containersOf(hub.hubName)).length, 1);
    assert.is((await alice.api('DELETE', '/users/alice/server')).status, 204);
    assert.is((await bob.api('POST', '/users/bob/server')).status, 201);
  } finally {
    await hub.close();
  }
});

t.run();
