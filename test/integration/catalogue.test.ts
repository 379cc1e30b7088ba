/**
 * The image catalogue against real images and Docker: what the labels say, that every image
 * starts through Berth and runs code in each of its kernels over the proxy, that limits reach
 * the container, and that only catalogue ids are ever started.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CatalogueImage } from '../../src/catalogue/catalogue';
import { type Client, signedIn } from '../helpers/client';
import { containersOf, docker } from '../helpers/docker';
import { startHub, type TestHub } from '../helpers/hub';
import { runCode } from '../helpers/kernel';

interface Ctx {
  hub: TestHub;
  images: CatalogueImage[];
  clients: Record<string, Client>;
}

const t = suite<Ctx>('image catalogue');
const IDS = ['octave', 'python', 'r', 'scipy'];

t.before(async (ctx) => {
  // HUB_IMAGES pins the four, so that images other tests build for a while never show here
  ctx.hub = await startHub({ HUB_IMAGES: IDS.join(','), HUB_IMAGE_LIMITS: 'octave:memory=1536m,pids=300' });
  ctx.images = await ctx.hub.runtime.catalogue.list();
  ctx.clients = {};
  for (const id of IDS) {
    await ctx.hub.addUser(`user-${id}`, 'a-password');
    ctx.clients[id] = await signedIn(ctx.hub.url, `user-${id}`, 'a-password');
  }
  await ctx.hub.addUser('admin', 'admin-password', true);
  await ctx.hub.addUser('bob', 'bob-password');
});

t.after(async (ctx) => ctx.hub?.close());

t('the catalogue holds the four images, described by their labels', ({ images }) => {
  assert.equal(
    images.map((i) => i.id),
    IDS,
  );
  const byId = Object.fromEntries(images.map((i) => [i.id, i]));
  assert.is(byId.r.title, 'R');
  assert.equal(
    byId.r.kernels.map((k) => [k.name, k.language, k.version]),
    [
      ['ir', 'R', '4.2.2'],
      ['python3', 'Python', '3.11'],
    ],
  );
  assert.ok(byId.scipy.packages.some((p) => p.startsWith('numpy ')));
  assert.ok(byId.octave.kernels.some((k) => k.name === 'octave'));
  for (const image of images) {
    assert.ok(image.title && image.description, image.id);
    assert.ok(image.size > 100 * 1024 * 1024, `${image.id} size`);
    assert.match(image.created, /^\d{4}-\d\d-\d\dT/);
    assert.match(image.imageId, /^sha256:/);
  }
});

t('limits come from the labels, and HUB_IMAGE_LIMITS wins over them', ({ images }) => {
  const byId = Object.fromEntries(images.map((i) => [i.id, i]));
  assert.equal(byId.scipy.limits, { memory: 4 * 1024 ** 3, cpu: 2, pids: 512 });
  assert.equal(byId.octave.limits, { memory: 1536 * 1024 ** 2, cpu: 1, pids: 300 });
});

/** Code per image and kernel, and what it must print or display. */
const CHECKS: Record<
  string,
  Array<{ kernel: string; code: string; check(out: Awaited<ReturnType<typeof runCode>>, image: CatalogueImage): void }>
> = {
  python: [
    {
      kernel: 'python3',
      code: 'import platform\nprint(6*7, platform.python_version())',
      check: (out, image) => {
        const [answer, version] = out.stdout.trim().split(' ');
        assert.is(answer, '42');
        assert.ok(version.startsWith(image.kernels.find((k) => k.name === 'python3')!.version), `python ${version}`);
      },
    },
  ],
  scipy: [
    {
      kernel: 'python3',
      code: [
        'import numpy as np, pandas as pd, scipy',
        'import matplotlib.pyplot as plt',
        'df = pd.DataFrame({"x": np.arange(7)})',
        'print(int(df.x.sum()) * 2, np.__version__)',
        'plt.plot(df.x, df.x ** 2)',
        'plt.show()',
      ].join('\n'),
      check: (out, image) => {
        const [answer, numpyVersion] = out.stdout.trim().split(' ');
        assert.is(answer, '42');
        const label = image.packages.find((p) => p.startsWith('numpy '))!.split(' ')[1];
        assert.ok(numpyVersion.startsWith(label), `numpy ${numpyVersion} vs label ${label}`);
        const png = out.data.find((d) => 'image/png' in d);
        assert.ok(png, 'matplotlib drew an inline image/png');
        assert.ok(Buffer.from(String(png!['image/png']), 'base64').subarray(1, 4).toString() === 'PNG');
      },
    },
  ],
  r: [
    {
      kernel: 'ir',
      code: '6*7\ncat(R.version$major, R.version$minor, sep=".")',
      check: (out, image) => {
        assert.ok(
          out.data.some((d) => String(d['text/plain']).includes('[1] 42')),
          JSON.stringify(out.data),
        );
        assert.is(out.stdout, image.kernels.find((k) => k.name === 'ir')!.version);
      },
    },
    { kernel: 'python3', code: 'print(6*7)', check: (out) => assert.is(out.stdout, '42\n') },
  ],
  octave: [
    {
      kernel: 'octave',
      code: 'disp(6*7)\ndisp(OCTAVE_VERSION)',
      check: (out, image) => {
        const [answer, version] = out.stdout.split('\n').map((line) => line.trim());
        assert.is(answer, '42');
        assert.is(version, image.kernels.find((k) => k.name === 'octave')!.version);
      },
    },
    { kernel: 'python3', code: 'print(6*7)', check: (out) => assert.is(out.stdout, '42\n') },
  ],
};

for (const id of IDS) {
  t(`${id}: starts through Berth and runs code in each of its kernels`, async (ctx) => {
    const client = ctx.clients[id];
    const user = `user-${id}`;
    const res = await client.api('POST', `/users/${user}/server`, { image: id });
    assert.is(res.status, 201, await res.text());
    const [container] = (await containersOf(ctx.hub.hubName)).filter((c) => c.Labels['berth.user'] === user);
    assert.is(container.Labels['berth.image'], id);
    const image = ctx.images.find((i) => i.id === id)!;
    const info = await docker.getContainer(container.Id).inspect();
    assert.is(info.HostConfig.Memory, image.limits.memory);
    assert.is(info.HostConfig.MemorySwap, image.limits.memory);
    assert.is(info.HostConfig.NanoCpus, image.limits.cpu * 1e9);
    assert.is(info.HostConfig.PidsLimit, image.limits.pids);
    for (const { kernel, code, check } of CHECKS[id]) {
      const out = await runCode(client, user, code, kernel, 120_000);
      assert.is(out.error, undefined, `${id}/${kernel}: ${out.error}`);
      check(out, image);
    }
    assert.is((await client.api('DELETE', `/users/${user}/server`)).status, 204);
  });
}

t('the last choice is remembered: the spawn page preselects it and a plain start uses it', async (ctx) => {
  const client = ctx.clients.r;
  const page = await (await client.request('/hub/spawn')).text();
  assert.match(page, /value="r" checked/);
  const res = await client.api('POST', '/users/user-r/server');
  assert.is(res.status, 201);
  const [container] = (await containersOf(ctx.hub.hubName)).filter((c) => c.Labels['berth.user'] === 'user-r');
  assert.is(container.Labels['berth.image'], 'r');
  assert.is((await client.api('DELETE', '/users/user-r/server')).status, 204);
});

t("an admin starts a user's server with a chosen image, by API and from the spawn page", async (ctx) => {
  const admin = await signedIn(ctx.hub.url, 'admin', 'admin-password');
  assert.is((await admin.api('POST', '/users/bob/server', { image: 'r' })).status, 201);
  let [container] = (await containersOf(ctx.hub.hubName)).filter((c) => c.Labels['berth.user'] === 'bob');
  assert.is(container.Labels['berth.image'], 'r');
  assert.is((await admin.api('DELETE', '/users/bob/server')).status, 204);
  const form = await (await admin.request('/hub/spawn/bob')).text();
  assert.match(form, /Start bob&#39;s server/);
  const xsrf = /name="_xsrf" value="([^"]+)"/.exec(form)![1];
  const posted = await admin.request('/hub/spawn/bob', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _xsrf: xsrf, image: 'python' }).toString(),
  });
  assert.is(posted.status, 302);
  assert.is(posted.headers.get('location'), '/hub/spawn-pending/bob');
  [container] = (await containersOf(ctx.hub.hubName)).filter((c) => c.Labels['berth.user'] === 'bob');
  assert.is(container.Labels['berth.image'], 'python');
  assert.is((await admin.api('DELETE', '/users/bob/server')).status, 204);
});

t("a user cannot use another user's spawn page", async (ctx) => {
  const bob = await signedIn(ctx.hub.url, 'bob', 'bob-password');
  assert.is((await bob.request('/hub/spawn/user-r')).status, 404);
});

t('only catalogue ids start anything: unknown ids and raw references are 400, no container', async (ctx) => {
  const bob = await signedIn(ctx.hub.url, 'bob', 'bob-password');
  for (const image of [
    'julia',
    'alpine',
    'debian:bookworm',
    'berth/python:latest',
    `sha256:${'a'.repeat(64)}`,
    '../r',
    'R',
    42,
    ['r'],
    { id: 'r' },
  ]) {
    const res = await bob.api('POST', '/users/bob/server', { image });
    assert.is(res.status, 400, JSON.stringify(image));
    assert.match((await res.json()).message, /not in the catalogue|Pick one of/);
  }
  assert.not.ok((await containersOf(ctx.hub.hubName)).some((c) => c.Labels['berth.user'] === 'bob'));
});

t('an id outside HUB_IMAGES is a 400 naming the setting, and the spawn page does not offer it', async () => {
  const hub = await startHub({ HUB_IMAGES: 'python,r' });
  try {
    await hub.addUser('carol', 'carol-password');
    const carol = await signedIn(hub.url, 'carol', 'carol-password');
    const res = await carol.api('POST', '/users/carol/server', { image: 'scipy' });
    assert.is(res.status, 400);
    assert.match((await res.json()).message, /HUB_IMAGES/);
    assert.is((await containersOf(hub.hubName)).length, 0);
    const page = await (await carol.request('/hub/spawn')).text();
    assert.match(page, /id="image-python"/);
    assert.match(page, /id="image-r"/);
    assert.not.match(page, /id="image-scipy"/);
    assert.not.match(page, /id="image-octave"/);
  } finally {
    await hub.close();
  }
});

t.run();
