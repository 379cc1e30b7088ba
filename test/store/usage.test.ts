/**
 * The usage ledger's accounting against a real redis-server, with a container's readings given by
 * the test: intervals split at midnight UTC, a sample and a server's end that race count the time
 * once, a restarted hub goes on from where the record stands, CPU is the container's own count,
 * groups are remembered per day, days expire; the query's days and filters, and the charts' scale.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BerthError } from '../../src/errors';
import { daysOf, parseUsageQuery } from '../../src/hub/usage-report';
import { niceMax } from '../../src/hub/views/charts';
import { createLogger } from '../../src/log';
import { Accountant, splitByDay } from '../../src/servers/accounting';
import type { ContainerUsage } from '../../src/spawner/spawner';
import { ServerStore } from '../../src/store/servers';
import { UsageStore } from '../../src/store/usage';
import { startRedis, type TestRedis } from '../helpers/redis';

const t = suite('usage: the ledger and its accounting');
let redis: TestRedis;
let store: UsageStore;
let records: ServerStore;
const reading: ContainerUsage = { memoryBytes: 512 * 1024 ** 2, memoryLimitBytes: 1024 ** 3, cpuSeconds: 0 };
const log = createLogger('error');

function accountant(groups: string[] = []): Accountant {
  return new Accountant({
    store,
    records,
    spawner: { usage: async () => reading },
    groups: { groupsOf: async () => groups },
    log,
  });
}

async function runningFor(user: string, ms: number): Promise<void> {
  const accounted = Date.now() - ms;
  await records.put({ user, state: 'running', image: 'python', started: '', container: 'c1', accounted });
}

async function total(user: string): Promise<{ s: number; c: number; m: number }> {
  const today = new Date().toISOString().slice(0, 10);
  const mine = (await store.items(daysOf({ from: '2000-01-01', to: today }).slice(-3))).filter((i) => i.user === user);
  return mine.reduce(
    (sum, i) => ({ s: sum.s + i.server_seconds, c: sum.c + i.cpu_seconds, m: sum.m + i.memory_gib_hours }),
    { s: 0, c: 0, m: 0 },
  );
}

t.before(async () => {
  redis = await startRedis();
  store = new UsageStore(redis.client(), 30);
  records = new ServerStore(redis.client());
});
t.after(async () => redis.stop());

t('an interval across midnight UTC is split between the days', () => {
  const midnight = Date.parse('2026-03-02T00:00:00Z');
  assert.equal(splitByDay(midnight - 3_600_000, midnight + 1_800_000), [
    { day: '2026-03-01', fraction: 2 / 3 },
    { day: '2026-03-02', fraction: 1 / 3 },
  ]);
  assert.equal(splitByDay(midnight, midnight + 10), [{ day: '2026-03-02', fraction: 1 }]);
});

t('samples count the time since the last one, with the CPU the container used and its memory', async () => {
  const a = accountant(['physics']);
  await runningFor('ann', 60_000);
  await a.account('ann', { ...reading, cpuSeconds: 30 });
  let sum = await total('ann');
  assert.ok(Math.abs(sum.s - 60) < 1, `${sum.s}`);
  assert.is(sum.c, 30);
  // Half a GiB for a minute.
  assert.ok(Math.abs(sum.m - 0.5 / 60) < 0.001, `${sum.m}`);
  await a.account('ann', { ...reading, cpuSeconds: 45 });
  sum = await total('ann');
  assert.is(sum.c, 45, 'only the CPU used since the last reading');
  const [item] = (await store.items([new Date().toISOString().slice(0, 10)])).filter((i) => i.user === 'ann');
  assert.equal(item.groups, ['physics']);
});

t('a sample and the end racing count each moment once; a new hub goes on from the record', async () => {
  await runningFor('bob', 120_000);
  const first = accountant();
  await Promise.all([first.account('bob', reading), first.close('bob', true), first.account('bob', reading)]);
  const once = (await total('bob')).s;
  assert.ok(Math.abs(once - 120) < 1, `${once}`);
  // The same record read by another hub's accountant: nothing before its `accounted` again.
  await accountant().account('bob', reading);
  assert.ok((await total('bob')).s - once < 1);
});

t('a server without a start of accounting (not running yet) counts nothing', async () => {
  await records.put({ user: 'cid', state: 'starting', image: 'python', started: '' });
  await accountant().account('cid', reading);
  await accountant().close('cid', true);
  assert.is((await total('cid')).s, 0);
});

t('days expire after the retention', async () => {
  const day = '2026-01-01';
  await store.add('dee', [{ day, amounts: { server_seconds: 1, cpu_seconds: 0, memory_gib_hours: 0 } }], [], {
    at: 0,
    cpuSeconds: 0,
  });
  const ttl = await redis.client().ttl(`berth:usage:${day}`);
  assert.ok(ttl > 30 * 86400 && ttl <= 32 * 86400, `${ttl}`);
});

t('a query spans 30 days by default, never more than the retention, and names a bad filter', () => {
  const now = Date.parse('2026-06-15T12:00:00Z');
  const q = parseUsageQuery({}, now, 400);
  assert.equal([q.from, q.to], ['2026-05-17', '2026-06-15']);
  assert.is(daysOf(q).length, 30);
  assert.equal(parseUsageQuery({ from: '2020-01-01' }, now, 10).from, '2026-06-06');
  assert.is(parseUsageQuery({ user: 'Ann' }, now, 10).user, 'ann');
  for (const [query, field] of [
    [{ from: '2026-02-30' }, 'from'],
    [{ to: '2026-6-1' }, 'to'],
    [{ group: 'A B' }, 'group'],
    [{ since: 'x' }, 'since'],
  ] as const) {
    try {
      parseUsageQuery(query, now, 10);
      assert.unreachable(field);
    } catch (err) {
      assert.instance(err, BerthError);
      assert.is((err as BerthError).status, 400);
      assert.ok((err as BerthError).message.startsWith(`${field}:`), (err as Error).message);
    }
  }
});

t("the charts' scale ends at 1, 2 or 5 times a power of ten", () => {
  assert.equal([0, 0.3, 1, 1.2, 3, 7, 42, 4000].map(niceMax), [1, 0.5, 1, 2, 5, 10, 50, 5000]);
});

t.run();
