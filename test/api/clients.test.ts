/**
 * Tools written for JupyterHub's API, run unchanged against Berth: a Python script (standard
 * library only) that starts a server for every user of a class, and the idle culler's sequence
 * (GET /, paged GET /users?state=ready, DELETE .../server) stopping the idle server and keeping
 * the busy one.
 */
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from '../../src/paths';
import { signedIn } from '../helpers/client';
import { containersOf } from '../helpers/docker';
import { startHub, type TestHub } from '../helpers/hub';
import { mustRun } from '../helpers/run';

const SCRIPT = path.join(ROOT, 'test', 'clients', 'jupyterhub_client.py');
const t = suite<{ hub: TestHub; teacher: string; culler: string }>('JupyterHub clients, unchanged');

t.before(async (ctx) => {
  ctx.hub = await startHub();
  await ctx.hub.addUser('teacher', 'teacher-password', true);
  for (const name of ['stu1', 'stu2', 'stu3']) await ctx.hub.addUser(name, `${name}-password`);
  ctx.teacher = (
    await ctx.hub.runtime.tokens.create('teacher', {
      note: 'class script',
      scopes: ['list:users', 'servers', 'read:users'],
    })
  ).token;
  ctx.culler = (
    await ctx.hub.runtime.tokens.create('teacher', {
      note: 'culler',
      scopes: ['list:users', 'read:users:activity', 'read:servers', 'delete:servers'],
    })
  ).token;
});

t.after(async (ctx) => ctx.hub?.close());

function script(ctx: { hub: TestHub }, token: string, args: string[]): Promise<string> {
  return mustRun('python3', [SCRIPT, ...args], {
    env: { JUPYTERHUB_API_URL: `${ctx.hub.url}/hub/api`, JUPYTERHUB_API_TOKEN: token },
    timeoutMs: 180_000,
  });
}

function summary(output: string): Record<string, string[]> {
  return JSON.parse(output.trim().split('\n').pop()!);
}

t('a class script lists the users, starts a server for each, and waits until all are ready', async (ctx) => {
  const out = await script(ctx, ctx.teacher, ['class', 'python']);
  assert.equal(summary(out).started.sort(), ['stu1', 'stu2', 'stu3', 'teacher']);
  const running = (await containersOf(ctx.hub.hubName)).map((c) => c.Labels['berth.user']).sort();
  assert.equal(running, ['stu1', 'stu2', 'stu3', 'teacher']);
});

t('the idle culler stops the idle servers and keeps the one in use', async (ctx) => {
  // Everyone was last active a minute ago, except stu2, who is working now.
  for (const name of ['stu1', 'stu3', 'teacher']) await ctx.hub.runtime.activity.reset(name, Date.now() - 60_000);
  const stu2 = await signedIn(ctx.hub.url, 'stu2', 'stu2-password');
  assert.is((await stu2.request('/user/stu2/api/status')).status, 200);
  const out = await script(ctx, ctx.culler, ['cull', '30']);
  assert.match(out, /^hub version 5\.\d+\.\d+$/m, 'the JupyterHub API level Berth implements');
  assert.match(out, /^listing users with state=ready$/m, 'so the culler asks only for ready servers');
  const result = summary(out);
  assert.equal(result.culled.sort(), ['stu1', 'stu3', 'teacher']);
  assert.equal(result.kept, ['stu2']);
  assert.equal(
    (await containersOf(ctx.hub.hubName)).map((c) => c.Labels['berth.user']),
    ['stu2'],
  );
});

t.run();
