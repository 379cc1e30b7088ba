/**
 * Groups that shape servers, on the real engine: a course's dataset read-only for students (a write
 * fails with EROFS, enforced by the mount) and read-write for a TA, whose file the student reads;
 * a team folder two members edit together; the group's variables and memory limit in the container;
 * `berth volumes` listing who mounts what and refusing to delete a mounted volume; an exam group
 * with the internet off, whose server cannot reach Debian's mirror (which others reach) while the
 * proxy still serves it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { berth } from '../helpers/cli';
import { type Client, signedIn } from '../helpers/client';
import { containersOf, docker } from '../helpers/docker';
import { SECRET, startHub, type TestHub } from '../helpers/hub';
import { runCode } from '../helpers/kernel';

interface Ctx {
  hub: TestHub;
  sam: Client;
  tia: Client;
}

const t = suite<Ctx>('groups that shape servers: shared volumes, variables, limits');
const DATA = '/home/jovyan/shared/course-data';
const TEAM = '/home/jovyan/shared/team';

t.before(async (ctx) => {
  ctx.hub = await startHub();
  await ctx.hub.addUser('root', 'root-password', true);
  await ctx.hub.addUser('sam', 'sam-password');
  await ctx.hub.addUser('tia', 'tia-password');
  const admin = await signedIn(ctx.hub.url, 'root', 'root-password');
  for (const volume of ['course-data', 'team']) assert.is((await admin.api('POST', `/volumes/${volume}`)).status, 201);
  assert.is((await admin.api('POST', '/groups/students', { users: ['sam', 'tia'] })).status, 201);
  assert.is((await admin.api('POST', '/groups/tas', { users: ['tia'] })).status, 201);
  const students = {
    env: { COURSE: 'ml-101' },
    limits: { memory: '768m' },
    volumes: [
      { volume: 'course-data', path: DATA, mode: 'ro' },
      { volume: 'team', path: TEAM, mode: 'rw' },
    ],
  };
  assert.is((await admin.api('PUT', '/groups/students/properties', students)).status, 200);
  const tas = { volumes: [{ volume: 'course-data', path: DATA, mode: 'rw' }] };
  assert.is((await admin.api('PUT', '/groups/tas/properties', tas)).status, 200);
  ctx.sam = await signedIn(ctx.hub.url, 'sam', 'sam-password');
  ctx.tia = await signedIn(ctx.hub.url, 'tia', 'tia-password');
  for (const [c, name] of [
    [ctx.sam, 'sam'],
    [ctx.tia, 'tia'],
  ] as const)
    assert.is((await c.api('POST', `/users/${name}/server`)).status, 201);
});

t.after(async (ctx) => ctx.hub?.close());

const python = async (c: Client, user: string, code: string) => {
  const out = await runCode(c, user, code);
  assert.is(out.error, undefined, out.error);
  return out.stdout;
};

const WRITE = (file: string, text: string) =>
  `import errno\ntry:\n    open('${file}', 'a').write('${text}\\n')\n    print('wrote')\nexcept OSError as e:\n    print(errno.errorcode[e.errno])`;

t(
  'the dataset is read-only for a student (by the mount) and writable for a TA, whose file the student reads',
  async ({ sam, tia }) => {
    assert.is(await python(tia, 'tia', WRITE(`${DATA}/notes.txt`, 'from the TA')), 'wrote\n');
    assert.is(await python(sam, 'sam', WRITE(`${DATA}/notes.txt`, 'from a student')), 'EROFS\n');
    assert.is(await python(sam, 'sam', `print(open('${DATA}/notes.txt').read(), end='')`), 'from the TA\n');
  },
);

t('two members edit the same file in the team folder', async ({ sam, tia }) => {
  assert.is(await python(sam, 'sam', WRITE(`${TEAM}/plan.md`, 'sam: data')), 'wrote\n');
  assert.is(await python(tia, 'tia', WRITE(`${TEAM}/plan.md`, 'tia: model')), 'wrote\n');
  assert.is(await python(sam, 'sam', `print(open('${TEAM}/plan.md').read(), end='')`), 'sam: data\ntia: model\n');
});

t("the group's variables and memory limit are in the container", async ({ hub, sam }) => {
  assert.is(await python(sam, 'sam', "import os\nprint(os.environ['COURSE'])"), 'ml-101\n');
  const container = (await containersOf(hub.hubName)).find((c) => c.Labels['berth.user'] === 'sam');
  const info = await docker.getContainer(container?.Id ?? '').inspect();
  assert.is(info.HostConfig.Memory, 768 * 1024 ** 2);
  const data = info.Mounts.find((m) => m.Destination === DATA);
  assert.is(data?.RW, false, 'mounted read-only');
  assert.is(data?.Name, `${hub.hubName}-shared-course-data`);
});

t('berth volumes lists who mounts what and will not delete a mounted volume', async ({ hub }) => {
  const env = { REDIS_URL: hub.redis.url, HUB_SECRET: SECRET, HUB_NAME: hub.hubName };
  const listed = await berth(['volumes', 'list'], env);
  assert.is(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /course-data\s+students,tas/);
  const refused = await berth(['volumes', 'rm', 'course-data'], env);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /mounted by group\(s\) students, tas \(users: sam, tia\)/);
});

const MIRROR =
  "import urllib.request\ntry:\n    print(urllib.request.urlopen('http://deb.debian.org/debian/', timeout=10).status)\n" +
  'except OSError as e:\n    print(type(e).__name__)';

t('with the internet off a server reaches no mirror, and the proxy still serves it', async ({ hub, sam }) => {
  await hub.addUser('eve', 'eve-password');
  const admin = await signedIn(hub.url, 'root', 'root-password');
  assert.is((await admin.api('POST', '/groups/exam', { users: ['eve'] })).status, 201);
  assert.is((await admin.api('PUT', '/groups/exam/properties', { network: 'none' })).status, 200);
  const eve = await signedIn(hub.url, 'eve', 'eve-password');
  assert.is((await eve.api('POST', '/users/eve/server')).status, 201);
  assert.is((await eve.request('/user/eve/api/status')).status, 200, 'the proxy reaches it');
  assert.is(await python(eve, 'eve', MIRROR), 'URLError\n');
  const lookup =
    "import socket\ntry:\n    socket.getaddrinfo('deb.debian.org', 80)\n    print('resolved')\nexcept OSError:\n    print('no name')";
  assert.is(await python(eve, 'eve', lookup), 'no name\n', 'not even a name lookup gets out');
  assert.is(await python(sam, 'sam', MIRROR), '200\n', 'with the internet on, the mirror answers');
  const container = (await containersOf(hub.hubName)).find((c) => c.Labels['berth.user'] === 'eve');
  const networks = Object.keys((await docker.getContainer(container?.Id ?? '').inspect()).NetworkSettings.Networks);
  assert.equal(networks, [`${hub.hubName}-offline`]);
  assert.ok((await docker.getNetwork(`${hub.hubName}-offline`).inspect()).Internal, 'an internal network');
  assert.match(await (await eve.request('/hub/home')).text(), /id="offer-network">off/);
});

t('an image can turn the internet off by itself (catalogue network: none)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-exam-catalogue-'));
  fs.writeFileSync(
    path.join(dir, 'catalogue.yaml'),
    'images:\n  - { id: exam, image: "berth/python:latest", protocol: berth, network: none }\n',
  );
  const hub = await startHub({ HUB_IMAGES_DIR: dir, HUB_DEFAULT_IMAGE: 'exam' });
  try {
    await hub.addUser('ivy', 'ivy-password');
    const ivy = await signedIn(hub.url, 'ivy', 'ivy-password');
    assert.is((await ivy.api('POST', '/users/ivy/server')).status, 201);
    assert.is(await python(ivy, 'ivy', MIRROR), 'URLError\n');
    const container = (await containersOf(hub.hubName)).find((c) => c.Labels['berth.user'] === 'ivy');
    const networks = Object.keys((await docker.getContainer(container?.Id ?? '').inspect()).NetworkSettings.Networks);
    assert.equal(networks, [`${hub.hubName}-offline`]);
  } finally {
    await hub.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

t.run();
