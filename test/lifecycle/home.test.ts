/**
 * Each user's home is a named volume: files survive stop and start and a change of image,
 * every start makes a fresh container, and deleting a user keeps or deletes the volume as
 * HUB_DELETE_HOME says; HUB_HOME_VOLUME_OPTIONS makes it on storage of the admin's choosing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { berth } from '../helpers/cli';
import { type Client, signedIn } from '../helpers/client';
import { containersOf, docker } from '../helpers/docker';
import { startHub, type TestHub } from '../helpers/hub';

interface Ctx {
  hub: TestHub;
  alice: Client;
}

const t = suite<Ctx>('persistent homes');

t.before(async (ctx) => {
  ctx.hub = await startHub();
  await ctx.hub.addUser('alice', 'alice-password');
  await ctx.hub.addUser('bob', 'bob-password');
  await ctx.hub.addUser('carol', 'carol-password');
  ctx.alice = await signedIn(ctx.hub.url, 'alice', 'alice-password');
});

t.after(async (ctx) => ctx.hub?.close());

async function containerOf(hub: TestHub, user: string) {
  return (await containersOf(hub.hubName)).find((c) => c.Labels['berth.user'] === user);
}

t('files in the home survive a stop, a start and a change of image; each start is a fresh container', async (ctx) => {
  const { alice, hub } = ctx;
  assert.is((await alice.api('POST', '/users/alice/server', { image: 'python' })).status, 201);
  const first = (await containerOf(hub, 'alice'))!;
  const info = await docker.getContainer(first.Id).inspect();
  const home = info.Mounts.find((m) => m.Destination === '/home/jovyan');
  assert.is(home?.Type, 'volume');
  assert.is(home?.Name, `${hub.hubName}-home-alice`);
  const put = await alice.request('/user/alice/api/contents/notes.txt', {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'file', format: 'text', content: 'written before the stop' }),
  });
  assert.is(put.status, 201);
  assert.is((await alice.api('DELETE', '/users/alice/server')).status, 204);

  assert.is((await alice.api('POST', '/users/alice/server', { image: 'r' })).status, 201);
  const second = (await containerOf(hub, 'alice'))!;
  assert.is.not(second.Id, first.Id, 'a fresh container');
  assert.is(second.Labels['berth.image'], 'r');
  const got = await alice.request('/user/alice/api/contents/notes.txt');
  assert.is(got.status, 200);
  assert.is((await got.json()).content, 'written before the stop');
  assert.is((await alice.api('DELETE', '/users/alice/server')).status, 204);
});

t('deleting a user keeps their home by default (HUB_DELETE_HOME=keep)', async (ctx) => {
  const bob = await signedIn(ctx.hub.url, 'bob', 'bob-password');
  assert.is((await bob.api('POST', '/users/bob/server')).status, 201);
  const env = { REDIS_URL: ctx.hub.redis.url, HUB_NAME: ctx.hub.hubName };
  const r = await berth(['user', 'rm', 'bob'], env);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /home volume is kept/);
  assert.is(await containerOf(ctx.hub, 'bob'), undefined, 'their server stopped');
  assert.ok(await docker.getVolume(`${ctx.hub.hubName}-home-bob`).inspect());
});

t('with HUB_DELETE_HOME=delete the home volume goes with the user', async (ctx) => {
  const carol = await signedIn(ctx.hub.url, 'carol', 'carol-password');
  assert.is((await carol.api('POST', '/users/carol/server')).status, 201);
  const r = await berth(['user', 'rm', 'carol'], {
    REDIS_URL: ctx.hub.redis.url,
    HUB_NAME: ctx.hub.hubName,
    HUB_DELETE_HOME: 'delete',
  });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /home volume is deleted/);
  await docker
    .getVolume(`${ctx.hub.hubName}-home-carol`)
    .inspect()
    .then(
      () => assert.unreachable('the volume should be gone'),
      (err: { statusCode?: number }) => assert.is(err.statusCode, 404),
    );
});

t('HUB_HOME_VOLUME_OPTIONS puts each home where the driver options say, {user} made safe', async () => {
  const shared = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-homes-'));
  // "d.o" is slugged to "d-2eo": never a path from a username.
  fs.mkdirSync(path.join(shared, 'd-2eo'));
  fs.chownSync(path.join(shared, 'd-2eo'), 1000, 100);
  const hub = await startHub({ HUB_HOME_VOLUME_OPTIONS: `type=none;o=bind;device=${shared}/{user}` });
  try {
    await hub.addUser('d.o', 'd.o-password');
    const dee = await signedIn(hub.url, 'd.o', 'd.o-password');
    assert.is((await dee.api('POST', '/users/d.o/server')).status, 201);
    const volume = await docker.getVolume(`${hub.hubName}-home-d-2eo`).inspect();
    assert.equal(volume.Options, { type: 'none', o: 'bind', device: `${shared}/d-2eo` });
    const put = await dee.request('/user/d.o/api/contents/there.txt', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'file', format: 'text', content: 'on the share' }),
    });
    assert.is(put.status, 201);
    assert.is(fs.readFileSync(path.join(shared, 'd-2eo', 'there.txt'), 'utf8'), 'on the share');
    assert.is((await dee.api('DELETE', '/users/d.o/server')).status, 204);
  } finally {
    await hub.close();
    fs.rmSync(shared, { recursive: true, force: true });
  }
});

t.run();
