/**
 * A class that starts before the bell, on the real engine: a start scheduled one minute ahead
 * starts every member's server before its time (the hub's own loop, no call from the test), so
 * that at the bell each member's click lands in a running server.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type Client, signedIn } from '../helpers/client';
import { containersOf } from '../helpers/docker';
import { startHub, type TestHub } from '../helpers/hub';
import { eventually } from '../helpers/wait';

interface Ctx {
  hub: TestHub;
  root: Client;
  c: Record<string, Client>;
}

const t = suite<Ctx>('a class that starts before the bell');
const CLASS = ['amy', 'bo', 'cy'];

t.before(async (ctx) => {
  ctx.hub = await startHub();
  await ctx.hub.addUser('root', 'root-password', true);
  ctx.c = {};
  for (const name of CLASS) {
    await ctx.hub.addUser(name, `${name}-password`);
    ctx.c[name] = await signedIn(ctx.hub.url, name, `${name}-password`);
  }
  await ctx.hub.runtime.groups.create('physics', CLASS);
  ctx.root = await signedIn(ctx.hub.url, 'root', 'root-password');
});

t.after(async (ctx) => ctx.hub?.close());

t("a start one minute ahead has every member's server running before its time", async (ctx) => {
  const bell = Date.now() + 60_000;
  const res = await ctx.root.api('POST', '/groups/physics/class-starts', { at: new Date(bell).toISOString() });
  assert.is(res.status, 201, await res.clone().text());
  await eventually(
    async () => (await ctx.hub.runtime.records.list()).filter((r) => r.state === 'running').length === CLASS.length,
    "every member's server runs",
    55_000,
    500,
  );
  const ready = Date.now();
  assert.ok(ready < bell, `running ${((bell - ready) / 1000).toFixed(1)} s before the bell`);
  console.log(`    the class was running ${((bell - ready) / 1000).toFixed(1)} s before the bell`);
  for (const name of CLASS) {
    const status = await ctx.c[name].request(`/user/${name}/api/status`);
    assert.is(status.status, 200, `${name} lands in a running server`);
  }
  assert.is((await containersOf(ctx.hub.hubName)).length, CLASS.length);
  const [start] = (await (await ctx.root.api('GET', '/groups/physics/class-starts')).json()).items;
  assert.equal([start.last_run.started, start.last_run.failed], [3, 0]);
});

t.run();
