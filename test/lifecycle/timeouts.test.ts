/**
 * Starts that fail: a server that never answers (HUB_HTTP_TIMEOUT), one that exits at once,
 * and a container that does not start in time (HUB_SPAWN_TIMEOUT). Each time the container
 * goes, the pending state is cleared, the user is told why, and a retry works.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { keys } from '../../src/store/keys';
import { type Client, signedIn } from '../helpers/client';
import { containerEvents, containersOf } from '../helpers/docker';
import { startHub, type TestHub } from '../helpers/hub';
import { type TestImages, testImages } from '../helpers/images';
import { eventually, readEvents } from '../helpers/wait';

interface Ctx {
  hub: TestHub;
  images: TestImages;
  alice: Client;
}

const t = suite<Ctx>('failing starts');

t.before(async (ctx) => {
  ctx.images = testImages({
    sleeper: ['CMD ["sleep", "infinity"]'],
    quitter: ['CMD ["sh", "-c", "echo about to give up; exit 3"]'],
  });
  // Long enough for the retry's real notebook server to answer on a loaded machine.
  ctx.hub = await startHub({ HUB_IMAGES_DIR: ctx.images.dir, HUB_BUILD_IMAGES: 'missing', HUB_HTTP_TIMEOUT: '10' });
  await ctx.hub.addUser('alice', 'alice-password');
  ctx.alice = await signedIn(ctx.hub.url, 'alice', 'alice-password');
  // Build both now, so the timings below are the starts' own.
  for (const id of Object.values(ctx.images.ids))
    await ctx.hub.runtime.builder.ensure({ id }, { step: () => undefined, detail: () => undefined });
});

t.after(async (ctx) => {
  await ctx.hub?.close();
  await ctx.images?.remove();
});

async function clean(ctx: Ctx): Promise<void> {
  assert.equal(await containersOf(ctx.hub.hubName), [], 'no container is left');
  const redis = ctx.hub.redis.client();
  assert.is(await redis.exists(keys.server('alice')), 0, 'no server state is left');
  assert.is(await redis.exists(keys.route('alice')), 0, 'no route is left');
  const model = await (await ctx.alice.api('GET', '/users/alice')).json();
  assert.is(model.pending, null);
  assert.equal(model.servers, {});
}

t('a server that never answers: 500 naming HUB_HTTP_TIMEOUT, then nothing is left', async (ctx) => {
  const res = await ctx.alice.api('POST', '/users/alice/server', { image: ctx.images.ids.sleeper });
  assert.is(res.status, 500);
  assert.match((await res.json()).message, /did not answer within 10 s \(HUB_HTTP_TIMEOUT\)/);
  await clean(ctx);
});

t('the user is told why: on the home page, the pending page and the progress stream', async (ctx) => {
  const home = await (await ctx.alice.request('/hub/home')).text();
  assert.match(home, /id="last-error">Your server did not answer within 10 s/);
  const pending = await (await ctx.alice.request('/hub/spawn-pending/alice')).text();
  assert.match(pending, /The start failed/);
  const events = await readEvents(await ctx.alice.request('/hub/api/users/alice/server/progress'));
  assert.is(events.length, 1);
  assert.is(events[0].failed, true);
  assert.match(String(events[0].message), /^Spawn failed: Your server did not answer/);
});

t('a server that exits at once: its exit code and last log lines are shown', async (ctx) => {
  const res = await ctx.alice.api('POST', '/users/alice/server', { image: ctx.images.ids.quitter });
  assert.is(res.status, 500);
  const { message } = await res.json();
  assert.match(message, /stopped while starting: it exited with code 3/, message);
  assert.match(message, /about to give up/);
  await clean(ctx);
});

t('a retry with a good image works', async (ctx) => {
  assert.is((await ctx.alice.api('POST', '/users/alice/server', { image: 'python' })).status, 201);
  assert.is((await ctx.alice.request('/user/alice/api/status')).status, 200);
  const home = await (await ctx.alice.request('/hub/home')).text();
  assert.not.match(home, /last-error/, 'a good start clears the old error');
  assert.is((await ctx.alice.api('DELETE', '/users/alice/server')).status, 204);
});

t('a container that does not start within HUB_SPAWN_TIMEOUT is removed, even when Docker finishes later', async () => {
  const hub = await startHub({ HUB_SPAWN_TIMEOUT: '0.001' });
  try {
    await hub.addUser('bob', 'bob-password');
    const bob = await signedIn(hub.url, 'bob', 'bob-password');
    const since = Math.floor(Date.now() / 1000);
    const res = await bob.api('POST', '/users/bob/server', { image: 'python' });
    assert.is(res.status, 500);
    assert.match((await res.json()).message, /did not start within 0\.001 s \(HUB_SPAWN_TIMEOUT\)/);
    // Docker's create lands after the limit; the hub removes that container when it does.
    await eventually(
      async () => (await containerEvents(hub.hubName, since, ['destroy'])).length > 0,
      "Docker's late container is removed",
      30_000,
      250,
    );
    assert.equal(await containersOf(hub.hubName), []);
  } finally {
    await hub.close();
  }
});

t.run();
