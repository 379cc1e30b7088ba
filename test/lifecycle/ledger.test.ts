/**
 * The usage ledger on the real engine, across a kill -9 of the hub: a server that ran two
 * minutes is counted as two minutes (within the sampling interval), with its CPU and memory, under
 * its owner's group; the API's filters and its CSV agree; bad filters are 400s naming them, and
 * only admins may read it.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type Client, signedIn } from '../helpers/client';
import { type HubProcess, hubProcess } from '../helpers/hub-process';

interface Ctx {
  hub: HubProcess;
  ann: Client;
  root: Client;
}

interface Row {
  user: string;
  day: string;
  server_seconds: number;
  cpu_seconds: number;
  memory_gib_hours: number;
}

const INTERVAL_S = 2;
const RUN_MS = 120_000;

const t = suite<Ctx>('the usage ledger');

t.before(async (ctx) => {
  ctx.hub = await hubProcess('btledger', ['ann', 'root'], { HUB_USAGE_INTERVAL: String(INTERVAL_S) }, ['root']);
  await ctx.hub.serve();
  ctx.ann = await signedIn(ctx.hub.url, 'ann', 'a-password');
  ctx.root = await signedIn(ctx.hub.url, 'root', 'a-password');
});

t.after(async (ctx) => ctx.hub?.stop());

async function rows(root: Client, query: string): Promise<Row[]> {
  const res = await root.api('GET', `/usage${query}`);
  assert.is(res.status, 200, await res.clone().text());
  return ((await res.json()) as { items: Row[] }).items;
}

t('a server that ran two minutes, across a kill -9 of the hub, is counted as two minutes', async (ctx) => {
  assert.is((await ctx.root.api('POST', '/groups/physics', { users: ['ann'] })).status, 201);
  assert.is((await ctx.ann.api('POST', '/users/ann/server')).status, 201);
  const began = Date.now();
  await new Promise((r) => setTimeout(r, RUN_MS / 2));
  await ctx.hub.kill9();
  await ctx.hub.serve();
  await new Promise((r) => setTimeout(r, began + RUN_MS - Date.now()));
  assert.is((await ctx.ann.api('DELETE', '/users/ann/server')).status, 204);
  const ran = (Date.now() - began) / 1000;

  const mine = await rows(ctx.root, '?user=ann');
  const seconds = mine.reduce((sum, r) => sum + r.server_seconds, 0);
  // Counted from the moment it ran (just before the 201) to its end (just before the 204).
  assert.ok(Math.abs(seconds - ran) <= INTERVAL_S + 2, `counted ${seconds} s of a server that ran ${ran} s`);
  assert.ok(
    mine.every((r) => r.user === 'ann' && /^\d{4}-\d{2}-\d{2}$/.test(r.day)),
    JSON.stringify(mine),
  );
  assert.ok(
    mine.some((r) => r.cpu_seconds > 0),
    'its CPU time',
  );
  const gibHours = mine.reduce((sum, r) => sum + r.memory_gib_hours, 0);
  // A notebook server holds some tens of MiB: over two minutes, a few thousandths of a GiB-hour.
  assert.ok(gibHours > 0.0001 && gibHours < 0.05, `memory ${gibHours} GiB-hours`);

  // Stopped, it is counted no more.
  await new Promise((r) => setTimeout(r, INTERVAL_S * 1500));
  const later = (await rows(ctx.root, '?user=ann')).reduce((sum, r) => sum + r.server_seconds, 0);
  assert.is(later, seconds);

  assert.equal(await rows(ctx.root, '?group=physics'), mine, 'under the group ann was in');
  assert.equal(await rows(ctx.root, '?group=chemistry'), []);
  const csv = await ctx.root.api('GET', '/usage?user=ann', undefined, { accept: 'text/csv' });
  assert.is(csv.headers.get('content-type'), 'text/csv; charset=utf-8');
  const lines = (await csv.text()).trim().split('\r\n');
  assert.is(lines[0], 'user,day,server_seconds,cpu_seconds,memory_gib_hours');
  assert.equal(
    lines.slice(1),
    mine.map((r) => [r.user, r.day, r.server_seconds, r.cpu_seconds, r.memory_gib_hours].join(',')),
    'the CSV has the API rows',
  );
});

t('a bad filter is a 400 naming it, and only admins read the ledger', async (ctx) => {
  const bad: Array<[string, string]> = [
    ['?from=2026-13-01', 'from'],
    ['?to=yesterday', 'to'],
    ['?from=2026-06-02&to=2026-06-01', 'from'],
    ['?user=Bad!name', 'user'],
    ['?group=..', 'group'],
    ['?users=ann', 'users'],
    ['?user=ann&user=bob', 'user'],
  ];
  for (const [query, field] of bad) {
    const res = await ctx.root.api('GET', `/usage${query}`);
    assert.is(res.status, 400, query);
    const body = (await res.json()) as { message: string };
    assert.ok(body.message.startsWith(`${field}:`), `${query}: ${body.message}`);
  }
  assert.is((await ctx.ann.api('GET', '/usage')).status, 403);
  assert.is((await ctx.ann.request('/hub/usage')).status, 403);
  assert.is((await ctx.ann.request('/hub/usage.csv')).status, 403);
});

t.run();
