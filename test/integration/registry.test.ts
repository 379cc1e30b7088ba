import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { berth } from '../helpers/cli';
import { type Client, follow, signedIn } from '../helpers/client';
import { containersOf, docker } from '../helpers/docker';
import { startHub, type TestHub } from '../helpers/hub';
import { freePort } from '../helpers/redis';
import { type RegistryCatalogue, registryCatalogue } from '../helpers/registry';
import { eventually, readEvents } from '../helpers/wait';

interface Ctx {
  images: RegistryCatalogue;
  hub: TestHub;
  alice: Client;
}

const t = suite<Ctx>('images from a registry');

t.before(async (ctx) => {
  ctx.images = await registryCatalogue('stock');
  const closed = `127.0.0.1:${await freePort()}`;
  ctx.images.write([
    `  - { id: pulled, image: "${ctx.images.reference}", title: From the registry, default_url: /tree }`,
    `  - { id: missing, image: "${ctx.images.registry.address}/lab/nope:1" }`,
    `  - { id: unreachable, image: "${closed}/lab/stock:1" }`,
    '  - { id: Bad Id, image: "x" }',
  ]);
  ctx.hub = await startHub({ HUB_IMAGES_DIR: ctx.images.dir, HUB_SLOW_SPAWN_TIMEOUT: '0' });
  await ctx.hub.addUser('alice', 'alice-password');
  ctx.alice = await signedIn(ctx.hub.url, 'alice', 'alice-password');
});

t.after(async (ctx) => {
  await ctx.hub?.close();
  await ctx.images?.close();
});

t('berth images list shows the images to pull, and each bad line of the file with its reason', async (ctx) => {
  const r = await berth(['images', 'list'], { REDIS_URL: ctx.hub.redis.url, HUB_IMAGES_DIR: ctx.images.dir });
  assert.is(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    new RegExp(`\\npulled\\s+From the registry\\s+.*to pull: ${ctx.images.reference.replace(/[.]/g, '\\.')}`),
  );
  assert.match(r.stdout, /Left out of the catalogue:\ncatalogue\.yaml:5: id must be lowercase letters/);
});

t('a start pulls the image with its layers and bytes as progress, then the server runs from it', async (ctx) => {
  assert.is((await ctx.alice.api('POST', '/users/alice/server', { image: 'pulled' })).status, 202);
  const events = await readEvents(await ctx.alice.request('/hub/api/users/alice/server/progress'));
  const pulls = events.map((e) => String(e.message)).filter((m) => m.startsWith('Pulling'));
  assert.ok(
    pulls.some((m) => /: \d+ of \d+ layers, [\d.]+ MB of [\d.]+ MB$/.test(m)),
    pulls.join('\n') || 'no pull progress',
  );
  assert.ok(events.at(-1)?.ready, JSON.stringify(events.at(-1)));
  const { res, visited } = await follow(ctx.alice, '/user/alice/');
  assert.is(res.status, 200, visited.join(' → '));
  assert.is(visited.at(-1), '/user/alice/tree', "the image's default URL");
  assert.is(
    (await ctx.alice.api('DELETE', '/users/alice/server')).status,
    202,
    'with no slow-spawn wait, a stop is pending',
  );
  await eventually(async () => (await ctx.hub.runtime.servers.view('alice')).state === 'stopped', 'the server stopped');
});

t('a pull that fails says why, in the progress and the API, and leaves no server behind', async (ctx) => {
  for (const [id, why] of [
    ['missing', /was not found in its registry/],
    ['unreachable', /cannot be reached/],
  ] as const) {
    assert.is((await ctx.alice.api('POST', '/users/alice/server', { image: id })).status, 202);
    const events = await readEvents(await ctx.alice.request('/hub/api/users/alice/server/progress'));
    assert.ok(events.at(-1)?.failed, id);
    assert.match(String(events.at(-1)?.message), why);
    const model = await (await ctx.alice.api('GET', '/users/alice')).json();
    assert.equal(model.servers, {}, 'no server record');
    assert.equal(
      (await containersOf(ctx.hub.hubName)).filter((c) => c.Labels['berth.user'] === 'alice'),
      [],
      'no container',
    );
    assert.match((await (await ctx.alice.request('/hub/home')).text()) ?? '', why);
  }
});

t('berth images pull pulls ahead of the first start', async (ctx) => {
  await docker
    .getImage(ctx.images.reference)
    .remove({ force: true })
    .catch(() => undefined);
  const r = await berth(['images', 'pull', 'pulled'], { REDIS_URL: ctx.hub.redis.url, HUB_IMAGES_DIR: ctx.images.dir });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /Pulled pulled\./);
  assert.ok(await docker.getImage(ctx.images.reference).inspect());
  const wrong = await berth(['images', 'pull', 'python'], {
    REDIS_URL: ctx.hub.redis.url,
    HUB_IMAGES_DIR: ctx.images.dir,
  });
  assert.is(wrong.code, 1);
  assert.match(wrong.stderr, /No image 'python' in the catalogue file to pull/);
});

t('an edit of the catalogue file takes effect without a restart', async (ctx) => {
  ctx.images.write([`  - { id: renamed, image: "${ctx.images.reference}", title: Renamed }`]);
  const offered = await eventually(async () => {
    const ids = (await ctx.hub.runtime.catalogue.list()).map((i) => i.id);
    return ids.includes('renamed') && !ids.includes('pulled') && ids;
  }, 'the catalogue follows the file');
  assert.ok(offered.includes('python'), 'the images with labels stay');
  assert.is((await ctx.alice.api('POST', '/users/alice/server', { image: 'pulled' })).status, 400);
});

t.run();
