/**
 * Quotas on the real engine: a group's weekly server-hours run out while its member's server runs
 * (counted by the sampling), and the next start is refused with the quota, the hours and when they
 * free up; a home measured from its volume is warned about past HUB_HOME_SIZE_WARN and, past
 * HUB_HOME_SIZE_LIMIT, cannot start its server, with a message that says so.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { weekOf } from '../../src/servers/accounting';
import { type Client, signedIn } from '../helpers/client';
import { startHub, type TestHub } from '../helpers/hub';
import { runCode } from '../helpers/kernel';
import { eventually } from '../helpers/wait';

interface Ctx {
  hub: TestHub;
  ann: Client;
  bob: Client;
}

const t = suite<Ctx>('quotas on the real engine');

t.before(async (ctx) => {
  ctx.hub = await startHub({
    HUB_USAGE_INTERVAL: '1',
    HUB_HOME_SIZE_INTERVAL: '1',
    HUB_HOME_SIZE_WARN: '20m',
    HUB_HOME_SIZE_LIMIT: '40m',
  });
  for (const name of ['ann', 'bob']) await ctx.hub.addUser(name, `${name}-password`);
  // 0.01 hours: 36 seconds a week.
  await ctx.hub.runtime.groups.create('short', ['ann']);
  await ctx.hub.runtime.groups.setProperties('short', { quota: { server_hours_per_week: 0.01 } });
  ctx.ann = await signedIn(ctx.hub.url, 'ann', 'ann-password');
  ctx.bob = await signedIn(ctx.hub.url, 'bob', 'bob-password');
});

t.after(async (ctx) => ctx.hub?.close());

const home = async (c: Client) => (await c.request('/hub/home')).text();

t("a group's weekly hours run out while its member's server runs; the next start is refused", async (ctx) => {
  assert.is((await ctx.ann.api('POST', '/users/ann/server')).status, 201);
  assert.match(await home(ctx.ann), /This week you have used 0 of your 0\.01 server-hours \(group short\)/);
  const counted = async () =>
    (await ctx.hub.runtime.ledger.items(weekOf(Date.now()).days))
      .filter((i) => i.user === 'ann')
      .reduce((sum, i) => sum + i.server_seconds, 0);
  await eventually(async () => (await counted()) >= 36, 'the ledger counts 36 s', 90_000, 1000);
  assert.match(await home(ctx.ann), /: 0 left until Monday/);
  assert.is((await ctx.ann.api('DELETE', '/users/ann/server')).status, 204);
  const res = await ctx.ann.api('POST', '/users/ann/server');
  assert.is(res.status, 429);
  const { message } = (await res.json()) as { message: string };
  assert.match(
    message,
    /^You have used 0\.01 of your 0\.01 server-hours this week \(the quota of your group short\); they are yours again from Monday \d{4}-\d{2}-\d{2} 00:00 UTC\.$/,
  );
  assert.ok(Number(res.headers.get('retry-after')) > 0);
});

t('a home over the soft limit is warned about; over the hard limit, its server does not start', async (ctx) => {
  assert.is((await ctx.bob.api('POST', '/users/bob/server')).status, 201);
  const write = (name: string, mib: number) =>
    runCode(ctx.bob, 'bob', `open('/home/jovyan/${name}', 'wb').write(b'x' * ${mib} * 2**20)`);
  await write('first.bin', 30);
  // Sizes are sampled every second: one taken mid-write is already over the warning's 20 MiB.
  await eventually(async () => (await home(ctx.bob)).includes('id="home-warning"'), 'the warning', 30_000, 500);
  await eventually(
    async () => /Your home folder holds 3\d MiB of the 40 MiB it may hold\./.test(await home(ctx.bob)),
    'the whole first file counted',
    30_000,
    500,
  );
  await write('second.bin', 20);
  assert.is((await ctx.bob.api('DELETE', '/users/bob/server')).status, 204);
  await eventually(
    async () => {
      const page = await home(ctx.bob);
      return page.includes('id="home-over"') && /holds 5\d MiB/.test(page);
    },
    'over the limit, both files counted',
    30_000,
    500,
  );
  const res = await ctx.bob.api('POST', '/users/bob/server');
  assert.is(res.status, 403);
  const { message } = (await res.json()) as { message: string };
  assert.match(
    message,
    /^Your home folder holds 5\d MiB, more than the 40 MiB this hub allows \(HUB_HOME_SIZE_LIMIT\)/,
  );
  assert.is((await ctx.hub.runtime.records.list()).length, 0, 'no record of the refused start');
});

t.run();
