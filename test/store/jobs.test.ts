/**
 * The job queue against a real redis-server: the fair queue takes users in turn (the one served
 * last goes to the back) and skips a user at their own limit; taking a job is atomic with a
 * cancel (one of them wins); finished jobs expire; a request's fields are checked one by one.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FairQueue } from '../../src/jobs/fair-queue';
import { nextRun, parseJobRequest } from '../../src/jobs/request';
import { type JobRecord, JobStore } from '../../src/store/jobs';
import { startRedis, type TestRedis } from '../helpers/redis';

const t = suite('jobs: the fair queue and requests');
let redis: TestRedis;
let store: JobStore;

t.before(async () => {
  redis = await startRedis();
  store = new JobStore(redis.client(), 200);
});
t.after(async () => redis.stop());

let seq = 0;
function job(user: string): JobRecord {
  seq++;
  const id = seq.toString(16).padStart(12, '0');
  const created = new Date(Date.now() + seq).toISOString();
  return {
    id,
    user,
    notebook: 'a.ipynb',
    image: 'python',
    parameters: {},
    timeout: 60,
    state: 'queued',
    output: 'o',
    created,
  };
}

t('users take turns, and a user at their limit waits for their next turn', async () => {
  const queue = new FairQueue(store, 1);
  const jobs = [job('zoe'), job('zoe'), job('zoe'), job('amy'), job('bo')];
  for (const j of jobs) await store.enqueue(j);
  const order = await queue.lineup();
  assert.equal(order, [jobs[3].id, jobs[4].id, jobs[0].id, jobs[1].id, jobs[2].id], 'amy, bo, zoe, then zoe twice');
  const started: JobRecord[] = [];
  for (let i = 0; i < 3; i++) {
    const next = await queue.next(started);
    assert.ok(next);
    assert.ok(await store.take(next as JobRecord));
    started.push(next as JobRecord);
  }
  assert.equal(
    started.map((j) => j.user),
    ['amy', 'bo', 'zoe'],
  );
  assert.is(await queue.next(started), undefined, 'zoe runs her one; nobody else waits');
  assert.equal(await store.queuedUsers(), ['zoe']);
});

t('a cancel and a start of one job: only one of them gets it', async () => {
  const j = job('cy');
  await store.enqueue(j);
  const [taken, unqueued] = await Promise.all([store.take(j), store.unqueue(j)]);
  assert.ok(taken !== unqueued, 'exactly one wins');
  assert.ok(!(await store.queuedUsers()).includes('cy'));
});

t('finished jobs and their logs expire after the retention', async () => {
  const j = job('dee');
  await store.enqueue(j);
  await store.take(j);
  await store.finish({ ...j, state: 'succeeded' }, 'the log');
  assert.is(await store.log(j.id), 'the log');
  await new Promise((r) => setTimeout(r, 300));
  assert.is(await store.get(j.id), undefined);
  assert.equal(await store.list('dee'), [], 'and the user forgets it');
});

t('a request is checked field by field', () => {
  const limits = { defaultTimeout: 3600, maxTimeout: 7200 };
  assert.equal(parseJobRequest({ notebook: 'a/b.ipynb', parameters: { n: 7, name: 'x' } }, limits), {
    notebook: 'a/b.ipynb',
    image: undefined,
    parameters: { n: 7, name: 'x' },
    timeout: 3600,
    schedule: undefined,
  });
  const bad: Array<[unknown, RegExp]> = [
    [{}, /^notebook: must be a path/],
    [{ notebook: 'a//b.ipynb' }, /^notebook: must not have empty/],
    [{ notebook: 'a\nb.ipynb' }, /^notebook: has control characters/],
    [{ notebook: 'a.ipynb', parameters: { class: 1 } }, /^parameters\.class: is not a Python name/],
    [{ notebook: 'a.ipynb', timeout: 1.5 }, /^timeout: must be a whole number/],
    [{ notebook: 'a.ipynb', timeout: 7201 }, /^timeout: is beyond the hub's most, 7200 s/],
    [{ notebook: 'a.ipynb', schedule: '* * * * * *' }, /^schedule: runs more often than every 10 seconds/],
    [{ notebook: 'a.ipynb', schedule: 'nonsense' }, /^schedule: is not a cron expression/],
  ];
  for (const [body, expected] of bad) assert.throws(() => parseJobRequest(body, limits), expected);
  const next = nextRun('0 6 * * *', new Date());
  assert.equal([next.getHours(), next.getMinutes()], [6, 0], "06:00 in the hub's time zone");
  assert.ok(next.getTime() > Date.now() && next.getTime() <= Date.now() + 24 * 3600_000);
});

t.run();
