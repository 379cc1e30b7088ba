/**
 * Batch jobs on a real `berth serve` and a real engine: a notebook runs with an injected parameter
 * and its executed copy holds the answer; a failing one names its cell and error; bad requests are
 * 400s that make no job; the time limit and a cancel stop a job and leave no container; three
 * users' fifteen jobs share two places fairly; a notebook in a running server submits a job with
 * its server's token and cannot touch another user's; a hub killed with kill -9 while a job runs
 * finds it finished after its restart; a recurring job runs on its schedule.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { JobStore } from '../../src/store/jobs';
import { type Client, signedIn } from '../helpers/client';
import { docker } from '../helpers/docker';
import { notebook, putFile, putLink, readFile } from '../helpers/homes';
import { type HubProcess, hubProcess } from '../helpers/hub-process';
import { runCode } from '../helpers/kernel';
import { eventually } from '../helpers/wait';

interface Job {
  id: string;
  user: string;
  state: string;
  output: string;
  error: string | null;
  started: string | null;
  finished: string | null;
  schedule: string | null;
  place?: number;
}

interface Ctx {
  hub: HubProcess;
  c: Record<string, Client>;
}

const t = suite<Ctx>('batch jobs');
const USERS = ['ann', 'bob', 'cy'];
/** An admin, who deletes a user at the end. */
const ADMIN = 'root';

async function submit(ctx: Ctx, user: string, body: unknown): Promise<Job> {
  const res = await ctx.c[user].api('POST', `/users/${user}/jobs`, body);
  assert.is(res.status, 201, await res.clone().text());
  return (await res.json()) as Job;
}

async function job(ctx: Ctx, user: string, id: string): Promise<Job> {
  return (await (await ctx.c[user].api('GET', `/users/${user}/jobs/${id}`)).json()) as Job;
}

/** The job once it is in `state` (or any state but queued and running, with `ended`). */
async function until(ctx: Ctx, user: string, id: string, state: string | 'ended', ms = 120_000): Promise<Job> {
  let last: Job | undefined;
  await eventually(
    async () => {
      last = await job(ctx, user, id);
      return state === 'ended' ? !['queued', 'running'].includes(last.state) : last.state === state;
    },
    `job ${id} is ${state}`,
    ms,
    250,
  );
  return last as Job;
}

t.before(async (ctx) => {
  await setUp(ctx).catch((err: unknown) => {
    // uvu does not print what went wrong in a before hook.
    console.error('batch jobs: the hub did not come up:', err);
    throw err;
  });
});

async function setUp(ctx: Ctx): Promise<void> {
  const settings = { HUB_JOBS_LIMIT: '2', HUB_JOBS_PER_USER: '2', HUB_JOB_MAX_TIMEOUT: '600' };
  ctx.hub = await hubProcess('btjobs', [...USERS, ADMIN], settings, [ADMIN]);
  const { hubName } = ctx.hub;
  const calc = notebook({ tags: ['parameters'], source: 'n = 1' }, 'print(6 * n)');
  await putFile(hubName, 'ann', 'work/calc.ipynb', calc);
  await putFile(hubName, 'ann', 'fail.ipynb', notebook('x = 1', '1 / 0', 'print("never")'));
  await putFile(hubName, 'ann', 'sleep.ipynb', notebook('import time\ntime.sleep(60)'));
  await putFile(hubName, 'ann', 'nap.ipynb', notebook('import time\ntime.sleep(8)', 'print("woke")'));
  await putFile(hubName, 'ann', 'notes.ipynb', 'these are not JSON');
  await putFile(hubName, 'ann', 'hog.ipynb', notebook("hog = b'x' * (1536 * 1024 * 1024)"));
  await putLink(hubName, 'ann', 'out.ipynb', '/etc/hostname');
  for (const name of USERS) await putFile(hubName, name, 'short.ipynb', notebook('import time\ntime.sleep(1)'));
  await putFile(hubName, 'bob', 'sleep.ipynb', notebook('import time\ntime.sleep(60)'));
  await ctx.hub.serve();
  ctx.c = {};
  for (const name of [...USERS, ADMIN]) ctx.c[name] = await signedIn(ctx.hub.url, name, 'a-password');
}

t.after(async (ctx) => ctx.hub?.stop());

t('a notebook runs with its parameter, and its executed copy beside it has the answer', async (ctx) => {
  const queued = await submit(ctx, 'ann', { notebook: 'work/calc.ipynb', parameters: { n: 7 } });
  assert.is(queued.output, `work/calc.job-${queued.id}.ipynb`);
  const done = await until(ctx, 'ann', queued.id, 'ended');
  assert.is(done.state, 'succeeded', done.error ?? '');
  const executed = JSON.parse(await readFile(ctx.hub.hubName, 'ann', done.output)) as {
    cells: Array<{ source: string | string[]; outputs?: Array<{ text?: string | string[] }> }>;
  };
  const text = (t: string | string[] | undefined) => [t ?? ''].flat().join('');
  assert.is(text(executed.cells[1].source), '# Parameters, from the job\nn = 7', 'injected after the parameters cell');
  assert.is(text(executed.cells[2].outputs?.[0]?.text), '42\n');
  const log = await (await ctx.c.ann.api('GET', `/users/ann/jobs/${queued.id}/log`)).text();
  assert.match(log, /wrote work\/calc\.job-/);
});

t('a failing notebook reports the failing cell and its error', async (ctx) => {
  const done = await until(ctx, 'ann', (await submit(ctx, 'ann', { notebook: 'fail.ipynb' })).id, 'ended');
  assert.is(done.state, 'failed');
  assert.match(done.error ?? '', /^cell 2 \(1 \/ 0\): ZeroDivisionError: division by zero$/);
});

t('bad requests are 400s that say which, and make no job', async (ctx) => {
  const before = ((await (await ctx.c.ann.api('GET', '/users/ann/jobs')).json()) as Job[]).length;
  const cases: Array<[unknown, RegExp]> = [
    [{ notebook: '../bob/short.ipynb' }, /^notebook: must not have empty, \. or \.\. parts/],
    [{ notebook: '/etc/passwd.ipynb' }, /^notebook: must be relative to your home/],
    [{ notebook: 'missing.ipynb' }, /^notebook: there is no file missing\.ipynb in your home/],
    [{ notebook: 'notes.ipynb' }, /^notebook: notes\.ipynb is not a notebook/],
    [{ notebook: 'out.ipynb' }, /^notebook: out\.ipynb is outside your home/],
    [{ notebook: 'script.py' }, /^notebook: must be a notebook \(\.ipynb\)/],
    [{ notebook: 'fail.ipynb', parameters: { 'not a name': 1 } }, /^parameters\.not a name: is not a Python name/],
    [{ notebook: 'fail.ipynb', parameters: [1] }, /^parameters: must be an object/],
    [{ notebook: 'fail.ipynb', timeout: 601 }, /^timeout: is beyond the hub's most, 600 s/],
    [{ notebook: 'fail.ipynb', schedule: '61 * * * *' }, /^schedule: is not a cron expression/],
    [{ notebook: 'fail.ipynb', image: 'nope' }, /not in the catalogue|no image|Unknown image/i],
    [{ notebook: 'fail.ipynb', priority: 1 }, /^priority: unknown field/],
  ];
  for (const [body, expected] of cases) {
    const res = await ctx.c.ann.api('POST', '/users/ann/jobs', body);
    const text = await res.text();
    assert.is(res.status, 400, `${JSON.stringify(body)}: ${text}`);
    assert.match((JSON.parse(text) as { message: string }).message, expected);
  }
  const after = ((await (await ctx.c.ann.api('GET', '/users/ann/jobs')).json()) as Job[]).length;
  assert.is(after, before, 'no job was made');
});

t('a job past its time limit is stopped, and a cancelled one leaves no container', async (ctx) => {
  const slow = await until(ctx, 'ann', (await submit(ctx, 'ann', { notebook: 'sleep.ipynb', timeout: 3 })).id, 'ended');
  assert.is(slow.state, 'timed_out');
  assert.match(slow.error ?? '', /time limit \(3 s\)/);
  const running = await submit(ctx, 'ann', { notebook: 'sleep.ipynb' });
  await until(ctx, 'ann', running.id, 'running');
  const cancelled = await ctx.c.ann.api('DELETE', `/users/ann/jobs/${running.id}`);
  assert.is(cancelled.status, 200);
  assert.is(((await cancelled.json()) as Job).state, 'cancelled');
  const left = await docker.listContainers({
    all: true,
    filters: JSON.stringify({ label: [`berth.job=${running.id}`] }),
  });
  assert.is(left.length, 0, 'its container is gone');
  const again = await ctx.c.ann.api('DELETE', `/users/ann/jobs/${running.id}`);
  assert.is(again.status, 400, 'an ended job cannot be cancelled');
});

t('a job over its memory limit is reported as such; its progress streams until it ends', async (ctx) => {
  const hog = await submit(ctx, 'ann', { notebook: 'hog.ipynb' });
  const stream = await ctx.c.ann.request(`/hub/api/users/ann/jobs/${hog.id}/progress`);
  assert.match(stream.headers.get('content-type') ?? '', /^text\/event-stream/);
  const events = (await stream.text())
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)) as Job);
  assert.ok(events.length >= 2, 'queued or running first, then how it ended');
  const last = events[events.length - 1];
  assert.is(last.state, 'failed');
  assert.match(last.error ?? '', /killed by its memory limit \(1024 MiB\)/);
  assert.ok(
    events.some((e) => e.state === 'running'),
    'it was seen running',
  );
});

t("three users' jobs share two places fairly", async (ctx) => {
  const ids: Record<string, string[]> = { ann: [], bob: [], cy: [] };
  for (let i = 0; i < 5; i++)
    for (const user of USERS) ids[user].push((await submit(ctx, user, { notebook: 'short.ipynb' })).id);
  const jobs: Record<string, Job[]> = {};
  for (const user of USERS)
    jobs[user] = await Promise.all(ids[user].map((id) => until(ctx, user, id, 'succeeded', 300_000)));
  const all = Object.values(jobs).flat();
  for (const a of all) {
    const at = Date.parse(a.started ?? '');
    const along = all.filter((b) => Date.parse(b.started ?? '') <= at && Date.parse(b.finished ?? '') > at);
    assert.ok(along.length <= 2, `at most 2 at once (${along.length} when ${a.id} started)`);
  }
  const firsts = USERS.map((u) => Date.parse(jobs[u][0].started ?? ''));
  const thirds = USERS.map((u) => Date.parse(jobs[u][2].started ?? ''));
  assert.ok(Math.max(...firsts) < Math.min(...thirds), "every user's first job starts before anyone's third");
});

t("a notebook in a running server submits its user's job with the server's token, and nobody else's", async (ctx) => {
  assert.is((await ctx.c.ann.api('POST', '/users/ann/server')).status, 201);
  const code = [
    'import json, os, urllib.request',
    "api, token = os.environ['JUPYTERHUB_API_URL'], os.environ['JUPYTERHUB_API_TOKEN']",
    'def call(method, path, body=None):',
    "    headers = {'Authorization': 'token ' + token, 'Content-Type': 'application/json'}",
    '    req = urllib.request.Request(api + path, method=method, headers=headers,',
    '                                 data=None if body is None else json.dumps(body).encode())',
    '    try:',
    '        with urllib.request.urlopen(req) as r:',
    '            return r.status, json.load(r)',
    '    except urllib.error.HTTPError as e:',
    '        return e.code, e.read().decode()',
    "status, made = call('POST', '/users/ann/jobs', {'notebook': 'work/calc.ipynb', 'parameters': {'n': 2}})",
    "print(status, made['id'] if status == 201 else made)",
    "print(call('GET', '/users/bob/jobs')[0], call('POST', '/users/bob/jobs', {'notebook': 'short.ipynb'})[0])",
  ].join('\n');
  const out = await runCode(ctx.c.ann, 'ann', code);
  assert.is(out.error, undefined, out.error);
  const [first, second] = out.stdout.trim().split('\n');
  assert.match(first, /^201 [0-9a-f]{12}$/);
  assert.is(second, '404 404', "another user's jobs are out of reach (not even shown to exist, as JupyterHub does)");
  const done = await until(ctx, 'ann', first.split(' ')[1], 'ended');
  assert.is(done.state, 'succeeded');
  assert.match(await readFile(ctx.hub.hubName, 'ann', done.output), /"12\\n"/);
  assert.is((await ctx.c.ann.api('DELETE', '/users/ann/server')).status, 204);
});

t('a hub killed with kill -9 while a job runs finds it finished after its restart', async (ctx) => {
  const nap = await submit(ctx, 'ann', { notebook: 'nap.ipynb' });
  await until(ctx, 'ann', nap.id, 'running');
  await ctx.hub.kill9();
  await ctx.hub.serve();
  const done = await until(ctx, 'ann', nap.id, 'ended');
  assert.is(done.state, 'succeeded', done.error ?? '');
  assert.match(await (await ctx.c.ann.api('GET', `/users/ann/jobs/${nap.id}/log`)).text(), /wrote nap\.job-/);
});

t('a recurring job runs on its schedule, and turned off it keeps its history', async (ctx) => {
  const res = await ctx.c.bob.api('POST', '/users/bob/jobs', { notebook: 'short.ipynb', schedule: '*/10 * * * * *' });
  assert.is(res.status, 201);
  const schedule = (await res.json()) as { id: string; next: string; enabled: boolean };
  assert.ok(Date.parse(schedule.next) > Date.now() - 1000, 'its next run is ahead');
  let run: Job | undefined;
  await eventually(
    async () => {
      const jobs = (await (await ctx.c.bob.api('GET', '/users/bob/jobs')).json()) as Job[];
      run = jobs.find((j) => j.schedule === schedule.id && j.state === 'succeeded');
      return run !== undefined;
    },
    'a run of the recurring job succeeded',
    90_000,
    500,
  );
  const off = await ctx.c.bob.api('PATCH', `/users/bob/job-schedules/${schedule.id}`, { enabled: false });
  assert.equal(((await off.json()) as { enabled: boolean; next: string | null }).enabled, false);
  const listed = (await (await ctx.c.bob.api('GET', '/users/bob/job-schedules')).json()) as Array<{ id: string }>;
  assert.equal(
    listed.map((s) => s.id),
    [schedule.id],
  );
  assert.ok(await job(ctx, 'bob', run?.id ?? ''), 'its run is kept');
});

t('deleting a user cancels their jobs and deletes their recurring jobs', async (ctx) => {
  const running = await submit(ctx, 'bob', { notebook: 'sleep.ipynb' });
  await until(ctx, 'bob', running.id, 'running');
  assert.is((await ctx.c[ADMIN].api('DELETE', '/users/bob')).status, 204);
  const store = new JobStore(ctx.hub.redis.client(), 60_000);
  assert.is((await store.get(running.id))?.state, 'cancelled');
  assert.equal(await store.schedules('bob'), [], 'no recurring job fires for a user who is gone');
  const left = await docker.listContainers({
    all: true,
    filters: JSON.stringify({ label: [`berth.job=${running.id}`] }),
  });
  assert.is(left.length, 0, 'its container is gone');
});

t.run();
