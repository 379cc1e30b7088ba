/**
 * Quotas over fakes (a real Redis, the real lifecycle): a group's servers at once hold when its
 * members all press Start together; a week's server-hours, from the ledger, refuse a start with the
 * quota, the hours used and when they free up (the group's, else the hub's), and the home page says
 * what is left.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { weekOf } from '../../src/servers/accounting';
import { FakeSpawner } from '../fakes/spawners';
import { type Client, signedIn } from '../helpers/client';
import { type FakeHub, fakeHub } from '../helpers/lifecycle';

interface Ctx {
  hub: FakeHub;
  admin: Client;
  c: Record<string, Client>;
}

const t = suite<Ctx>('hub: quotas');
const LAB = ['lea', 'leo', 'lia', 'lou', 'luc'];

t.before(async (ctx) => {
  ctx.hub = await fakeHub(new FakeSpawner(), { hoursPerWeek: 3 });
  await ctx.hub.addUser('root', 'root-password', true);
  ctx.admin = await signedIn(ctx.hub.url, 'root', 'root-password');
  ctx.c = {};
  for (const name of [...LAB, 'cam', 'nia']) {
    await ctx.hub.addUser(name, `${name}-password`);
    ctx.c[name] = await signedIn(ctx.hub.url, name, `${name}-password`);
  }
  assert.is((await ctx.admin.api('POST', '/groups/lab', { users: LAB })).status, 201);
  assert.is((await ctx.admin.api('PUT', '/groups/lab/properties', { quota: { servers: 2 } })).status, 200);
  assert.is((await ctx.admin.api('POST', '/groups/course', { users: ['cam'] })).status, 201);
  const course = { quota: { server_hours_per_week: 1.5 } };
  assert.is((await ctx.admin.api('PUT', '/groups/course/properties', course)).status, 200);
});

t.after(async (ctx) => ctx.hub?.close());

/** `hours` of use today, as the accounting would have written it. */
async function used(hub: FakeHub, user: string, hours: number): Promise<void> {
  const day = new Date().toISOString().slice(0, 10);
  const amounts = { server_seconds: hours * 3600, cpu_seconds: 0, memory_gib_hours: 0 };
  await hub.life.ledger?.add(user, [{ day, amounts }], [], { at: 0, cpuSeconds: 0 });
}

t('five members of a group that may run two servers press Start together: two start, three hear why', async (ctx) => {
  const answers = await Promise.all(LAB.map((name) => ctx.c[name].api('POST', `/users/${name}/server`)));
  const started = answers.filter((r) => r.status === 201 || r.status === 202);
  const refused = answers.filter((r) => r.status === 429);
  assert.is(started.length, 2, answers.map((r) => r.status).join(' '));
  assert.is(refused.length, 3);
  const { message } = (await refused[0].json()) as { message: string };
  assert.is(message, 'Your group lab may run 2 servers at once and runs 2 now; try again when one of them stops.');
  assert.is((await ctx.hub.life.records.list()).length, 2, 'no record of a refused start');
  // One stops: one more may start.
  const first = LAB[answers.findIndex((r) => r.status === 201 || r.status === 202)];
  assert.is((await ctx.c[first].api('DELETE', `/users/${first}/server`)).status, 204);
  const waiting = LAB.filter((_, i) => answers[i].status === 429);
  assert.ok([201, 202].includes((await ctx.c[waiting[0]].api('POST', `/users/${waiting[0]}/server`)).status));
  assert.is((await ctx.c[waiting[1]].api('POST', `/users/${waiting[1]}/server`)).status, 429);
  // Someone outside the group is not held by it.
  assert.ok([201, 202].includes((await ctx.c.nia.api('POST', '/users/nia/server')).status));
  assert.is((await ctx.c.nia.api('DELETE', '/users/nia/server')).status, 204);
});

t("a week's server-hours: the group's quota, then the hub's for those whose groups set none", async (ctx) => {
  await used(ctx.hub, 'cam', 1.25);
  let home = await (await ctx.c.cam.request('/hub/home')).text();
  assert.match(
    home,
    /This week you have used 1\.25 of your 1\.5 server-hours \(group course\): 0\.25 left until Monday/,
  );
  await used(ctx.hub, 'cam', 0.25);
  const res = await ctx.c.cam.api('POST', '/users/cam/server');
  assert.is(res.status, 429);
  const { message } = (await res.json()) as { message: string };
  const until = new Date(weekOf(Date.now()).ends).toISOString().slice(0, 16).replace('T', ' ');
  assert.is(
    message,
    `You have used 1.5 of your 1.5 server-hours this week (the quota of your group course); they are yours again from Monday ${until} UTC.`,
  );
  const retry = Number(res.headers.get('retry-after'));
  assert.ok(Math.abs(retry - (weekOf(Date.now()).ends - Date.now()) / 1000) < 5, `Retry-After ${retry}`);
  home = await (await ctx.c.cam.request('/hub/home')).text();
  assert.match(home, /: 0 left until Monday/);

  // nia is in no group: the hub's 3 hours apply.
  await used(ctx.hub, 'nia', 3);
  const hers = await ctx.c.nia.api('POST', '/users/nia/server');
  assert.is(hers.status, 429);
  assert.match(
    ((await hers.json()) as { message: string }).message,
    /of your 3 server-hours this week \(the hub's quota\)/,
  );
});

t.run();
