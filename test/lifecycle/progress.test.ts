/**
 * Start progress as JupyterHub's event stream, fed by the real steps: an image build when the
 * image is not built yet, container creation and start, and waiting for the server.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type Client, signedIn } from '../helpers/client';
import { startHub, type TestHub } from '../helpers/hub';
import { type TestImages, testImages } from '../helpers/images';
import { eventually, readEvents } from '../helpers/wait';

interface Ctx {
  hub: TestHub;
  images: TestImages;
  alice: Client;
}

const t = suite<Ctx>('start progress');

t.before(async (ctx) => {
  ctx.images = testImages({});
  ctx.hub = await startHub({
    HUB_IMAGES_DIR: ctx.images.dir,
    HUB_BUILD_IMAGES: 'missing',
    HUB_DEFAULT_IMAGE: 'python',
  });
  // Added after the hub's background build ran, so that the start below is the one that builds it.
  ctx.images.add('fresh', ['RUN echo "built for a test" > /tmp/built', 'RUN true']);
  // The hub re-reads image folders every 2 s; the image is offered once it has.
  await eventually(
    async () => (await ctx.hub.runtime.catalogue.list()).some((i) => i.id === ctx.images.ids.fresh),
    'the new image is offered',
  );
  await ctx.hub.addUser('alice', 'alice-password');
  ctx.alice = await signedIn(ctx.hub.url, 'alice', 'alice-password');
});

t.after(async (ctx) => {
  await ctx.hub?.close();
  await ctx.images?.remove();
});

function checkShapes(events: Array<Record<string, unknown>>): void {
  let last = 0;
  for (const e of events) {
    assert.type(e.progress, 'number');
    assert.type(e.message, 'string');
    assert.ok((e.progress as number) >= last, `progress went back: ${JSON.stringify(events)}`);
    last = e.progress as number;
  }
}

t('a server that is not starting: 400', async ({ alice }) => {
  const res = await alice.request('/hub/api/users/alice/server/progress');
  assert.is(res.status, 400);
});

t('an image that is not built is offered, and a start builds it with its steps as progress', async (ctx) => {
  const id = ctx.images.ids.fresh;
  const offered = (await ctx.hub.runtime.catalogue.list()).find((i) => i.id === id);
  assert.ok(offered && !offered.built, 'offered before it is built');
  const spawnPage = await (await ctx.alice.request('/hub/spawn')).text();
  assert.match(spawnPage, new RegExp(`id="image-${id}"`));
  const started = ctx.alice.api('POST', '/users/alice/server', { image: id });
  await eventually(
    async () => (await ctx.hub.runtime.servers.view('alice')).state === 'starting',
    'the start is under way',
  );
  const stream = await ctx.alice.request('/hub/api/users/alice/server/progress', {
    headers: { accept: 'text/event-stream' },
  });
  assert.is(stream.status, 200);
  assert.match(stream.headers.get('content-type') ?? '', /^text\/event-stream/);
  const events = await readEvents(stream);
  assert.ok([201, 202].includes((await started).status));
  checkShapes(events);
  const messages = events.map((e) => e.message as string);
  assert.ok(
    messages.some((m) => /^Building Test fresh: step \d+ of \d+: /.test(m)),
    messages.join('\n'),
  );
  assert.ok(
    messages.some((m) => /^Creating your container/.test(m)),
    messages.join('\n'),
  );
  assert.ok(
    messages.some((m) => /waiting for the notebook server/i.test(m)),
    messages.join('\n'),
  );
  assert.equal(events[events.length - 1], {
    progress: 100,
    ready: true,
    message: 'Server ready at /user/alice/',
    url: '/user/alice/',
  });
  assert.ok((await ctx.hub.runtime.catalogue.list()).find((i) => i.id === id)?.built);
  assert.is((await ctx.alice.request('/user/alice/api/status')).status, 200);
});

t('a running server: the stream says ready at once', async ({ alice }) => {
  const events = await readEvents(await alice.request('/hub/api/users/alice/server/progress'));
  assert.equal(events, [{ progress: 100, ready: true, message: 'Server ready at /user/alice/', url: '/user/alice/' }]);
  assert.is((await alice.api('DELETE', '/users/alice/server')).status, 204);
});

t('a stream opened late replays the start from its beginning', async ({ alice, hub }) => {
  assert.is((await alice.api('POST', '/users/alice/server', { image: 'python' })).status, 201);
  await alice.api('DELETE', '/users/alice/server');
  const started = alice.api('POST', '/users/alice/server', { image: 'python' });
  // Late: once the container is being made, well after the first events and before it is ready.
  await eventually(
    async () =>
      /^((Creating|Starting) your container|Container started)/.test(
        hub.runtime.servers.progress.last('alice')?.message ?? '',
      ),
    'the container is being made',
    15_000,
    10,
  );
  const events = await readEvents(await alice.request('/hub/api/users/alice/server/progress'));
  await started;
  assert.is(events[0].message, 'Server requested');
  assert.ok(events[events.length - 1].ready);
  await alice.api('DELETE', '/users/alice/server');
});

t("someone else's progress is 404; anonymous is 403", async (ctx) => {
  await ctx.hub.addUser('bob', 'bob-password');
  const bob = await signedIn(ctx.hub.url, 'bob', 'bob-password');
  assert.is((await bob.request('/hub/api/users/alice/server/progress')).status, 404);
  assert.is((await fetch(`${ctx.hub.url}/hub/api/users/alice/server/progress`)).status, 403);
});

t.run();
