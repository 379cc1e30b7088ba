/**
 * Scheduled class starts over fakes (a real Redis, the real lifecycle and schedule): every field
 * checked and a wrong one named, with nothing saved; a start in its lead time starts every member's
 * server with its image, a weekly one moves on a week, a once one is kept as run; one whose time
 * passed while the hub was away is skipped; only admins of servers schedule.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeSpawner } from '../fakes/spawners';
import { type Client, signedIn } from '../helpers/client';
import { type FakeHub, fakeHub } from '../helpers/lifecycle';

interface Ctx {
  hub: FakeHub;
  admin: Client;
  ann: Client;
}

interface ClassStartModel {
  id: string;
  at: string;
  repeat: string;
  image?: string;
  lead_seconds: number;
  last_run?: { started: number; failed: number };
}

const t = suite<Ctx>('hub: class starts');
const PHYSICS = ['ann', 'ben', 'cid'];
const MINUTE = 60_000;

t.before(async (ctx) => {
  ctx.hub = await fakeHub(new FakeSpawner(), { activeServerLimit: 4 });
  await ctx.hub.addUser('root', 'root-password', true);
  for (const name of [...PHYSICS, 'dee', 'eli', 'fay']) await ctx.hub.addUser(name, `${name}-password`);
  ctx.admin = await signedIn(ctx.hub.url, 'root', 'root-password');
  ctx.ann = await signedIn(ctx.hub.url, 'ann', 'ann-password');
  assert.is((await ctx.admin.api('POST', '/groups/physics', { users: PHYSICS })).status, 201);
  assert.is((await ctx.admin.api('POST', '/groups/big', { users: [...PHYSICS, 'dee', 'eli'] })).status, 201);
  assert.is((await ctx.admin.api('POST', '/groups/capped', { users: ['dee', 'eli', 'fay'] })).status, 201);
  const capped = { quota: { servers: 2 }, images: ['python'] };
  assert.is((await ctx.admin.api('PUT', '/groups/capped/properties', capped)).status, 200);
});

t.after(async (ctx) => ctx.hub?.close());

const inMinutes = (m: number) => new Date(Date.now() + m * MINUTE).toISOString();
const schedule = (c: Client, group: string, body: unknown) => c.api('POST', `/groups/${group}/class-starts`, body);

t('each wrong field is a 400 naming it, and nothing is scheduled', async ({ admin }) => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['physics', { at: inMinutes(-1) }, /^at: is in the past/],
    ['physics', { at: 'tomorrow at nine' }, /^at: must be a time in ISO 8601/],
    ['physics', { at: '2030-01-07T09:00:00' }, /^at: must be a time in ISO 8601 with its offset/],
    ['physics', {}, /^at: must be a time/],
    ['physics', { at: inMinutes(60), repeat: 'daily' }, /^repeat: must be "once" or "weekly"/],
    ['physics', { at: inMinutes(60), lead_minutes: 0 }, /^lead_minutes: must be from 1 to 120/],
    ['physics', { at: inMinutes(60), lead_minutes: -5 }, /^lead_minutes/],
    ['physics', { at: inMinutes(60), image: 'matlab' }, /^image: 'matlab' is not in the catalogue; one of: python, r/],
    ['capped', { at: inMinutes(60), image: 'r' }, /^image: group capped is not offered 'r'/],
    [
      'capped',
      { at: inMinutes(60) },
      /^group: capped has 3 members, more servers than its quota lets run at once \(2\)/,
    ],
    [
      'big',
      { at: inMinutes(60) },
      /^group: big has 5 members, more servers than may run at once \(HUB_ACTIVE_SERVER_LIMIT 4\)/,
    ],
    ['physics', { at: inMinutes(60), room: 'B12' }, /^room: unknown field/],
    ['physics', ['at'], /^The body must be a JSON object/],
  ];
  for (const [group, body, expected] of cases) {
    const res = await schedule(admin, group, body);
    const { message } = (await res.json()) as { message: string };
    assert.is(res.status, 400, `${JSON.stringify(body)}: ${message}`);
    assert.match(message, expected);
  }
  assert.is((await schedule(admin, 'nope', { at: inMinutes(60) })).status, 404);
  for (const group of ['physics', 'capped', 'big'])
    assert.equal((await (await admin.api('GET', `/groups/${group}/class-starts`)).json()).items, []);
});

t('only an admin of servers schedules class starts', async ({ ann }) => {
  assert.is((await schedule(ann, 'physics', { at: inMinutes(60) })).status, 403);
  assert.is((await ann.api('GET', '/groups/physics/class-starts')).status, 403);
});

t("a weekly start in its lead time starts every member's server, then moves on a week", async ({ hub, admin }) => {
  const at = inMinutes(3);
  const res = await schedule(admin, 'physics', { at, image: 'r', repeat: 'weekly' });
  assert.is(res.status, 201);
  const made = (await res.json()) as ClassStartModel;
  assert.equal([made.repeat, made.image, made.lead_seconds], ['weekly', 'r', 300]);
  await hub.life.classStarts.run();
  for (const name of PHYSICS) {
    const record = await hub.life.records.get(name);
    assert.is(record?.image, 'r', `${name}'s server started with the class's image`);
  }
  const [after] = (await (await admin.api('GET', '/groups/physics/class-starts')).json()).items as ClassStartModel[];
  assert.is(Date.parse(after.at) - Date.parse(at), 7 * 24 * 60 * MINUTE, 'next week');
  assert.equal(after.last_run && [after.last_run.started, after.last_run.failed], [3, 0]);
  // Run again now: nothing is due until next week.
  await hub.life.classStarts.run();
  for (const name of PHYSICS)
    assert.is(hub.life.spawner.calls.filter((c) => c === `start ${name}`).length, 1, `${name} started once`);
  assert.is((await admin.api('DELETE', `/groups/physics/class-starts/${after.id}`)).status, 204);
  assert.is((await admin.api('DELETE', `/groups/physics/class-starts/${after.id}`)).status, 404);
  for (const name of PHYSICS) assert.is((await admin.api('DELETE', `/users/${name}/server`)).status, 204);
});

t('a start whose time passed while the hub was away by more than half an hour is skipped', async ({ hub, admin }) => {
  const res = await schedule(admin, 'physics', { at: inMinutes(10), lead_minutes: 1 });
  const made = (await res.json()) as ClassStartModel;
  await hub.life.classStarts.run(Date.now() + 45 * MINUTE);
  for (const name of PHYSICS) assert.is(await hub.life.records.get(name), undefined, `${name} not started late`);
  const [kept] = (await (await admin.api('GET', '/groups/physics/class-starts')).json()).items as ClassStartModel[];
  assert.is(kept.id, made.id);
  assert.is(kept.last_run, undefined, 'kept, never run');
});

t.run();
