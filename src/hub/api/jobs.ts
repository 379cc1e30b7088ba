/**
 * /hub/api/users/<name>/jobs: batch jobs (jobs/jobs.ts). Submit (201 with the job, or with the
 * recurring job when a schedule is given), list, read, cancel (DELETE), run again, the log, and
 * the progress as an event stream; recurring jobs under .../job-schedules. Scopes `jobs` and
 * `read:jobs`, with `!user=` filters: a server's own token holds `jobs!user=<its user>`.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { badRequest, notFound } from '../../errors';
import { LOG_LIMIT } from '../../spawner/job-script';
import { FINISHED, type JobRecord, type JobSchedule } from '../../store/jobs';
import { jsonBody, objectBody } from '../body';
import type { ApiDeps } from './context';
import { eventStream } from './event-stream';

const PROGRESS_POLL_MS = 1000;

/** The job model of DESIGN.md, with its place in line while queued. */
export function jobModel(job: JobRecord, place?: number) {
  return {
    id: job.id,
    user: job.user,
    notebook: job.notebook,
    image: job.image,
    parameters: job.parameters,
    timeout: job.timeout,
    state: job.state,
    output: job.output,
    error: job.error ?? null,
    created: job.created,
    started: job.started ?? null,
    finished: job.finished ?? null,
    schedule: job.schedule ?? null,
    ...(place === undefined ? {} : { place }),
  };
}

export function scheduleModel(s: JobSchedule) {
  return {
    id: s.id,
    user: s.user,
    schedule: s.cron,
    ...s.job,
    enabled: s.enabled,
    next: s.next ?? null,
    created: s.created,
  };
}

export function jobsApi(router: Router, deps: ApiDeps): void {
  const { access, users, jobs } = deps;
  const store = jobs.store;

  async function owner(ctx: Context, scope: string): Promise<string> {
    const name = ctx.params.name;
    await access.allow(ctx, scope, name);
    if (!(await users.get(name))) throw notFound(`No such user: ${name}`);
    return name;
  }

  async function jobOf(ctx: Context, scope: string): Promise<JobRecord> {
    const name = await owner(ctx, scope);
    const job = /^[0-9a-f]{12}$/.test(ctx.params.id) ? await store.get(ctx.params.id) : undefined;
    if (!job || job.user !== name) throw notFound(`No such job: ${String(ctx.params.id).slice(0, 40)}`);
    return job;
  }

  async function placed(job: JobRecord) {
    if (job.state !== 'queued') return jobModel(job);
    const line = await jobs.lineup();
    return jobModel(job, line.indexOf(job.id) + 1);
  }

  router.post('/users/:name/jobs', jsonBody, async (ctx) => {
    const name = await owner(ctx, 'jobs');
    const made = await jobs.submit(name, objectBody(ctx));
    ctx.status = 201;
    ctx.body = 'cron' in made ? scheduleModel(made) : await placed(made);
  });

  router.get('/users/:name/jobs', async (ctx) => {
    const name = await owner(ctx, 'read:jobs');
    const line = await jobs.lineup();
    ctx.body = (await store.list(name)).map((j) =>
      jobModel(j, j.state === 'queued' ? line.indexOf(j.id) + 1 : undefined),
    );
  });

  router.get('/users/:name/jobs/:id', async (ctx) => {
    ctx.body = await placed(await jobOf(ctx, 'read:jobs'));
  });

  router.delete('/users/:name/jobs/:id', async (ctx) => {
    ctx.body = jobModel(await jobs.cancel(await jobOf(ctx, 'jobs')));
  });

  router.post('/users/:name/jobs/:id/rerun', jsonBody, async (ctx) => {
    const job = await jobOf(ctx, 'jobs');
    if (!FINISHED.includes(job.state)) throw badRequest(`Job ${job.id} has not ended yet (${job.state}).`);
    ctx.status = 201;
    ctx.body = await placed(await jobs.rerun(job, objectBody(ctx).parameters));
  });

  router.get('/users/:name/jobs/:id/log', async (ctx) => {
    const job = await jobOf(ctx, 'read:jobs');
    ctx.type = 'text/plain';
    ctx.body = (await jobs.log(job, LOG_LIMIT)) ?? '';
  });

  /** The job as it goes: its model whenever it changes, with the last log lines while it runs; ends when it ends. */
  router.get('/users/:name/jobs/:id/progress', async (ctx) => {
    const first = await jobOf(ctx, 'read:jobs');
    const events = eventStream(ctx);
    let last = '';
    const look = async () => {
      const job = (await store.get(first.id)) ?? first;
      const tail = job.state === 'running' ? ((await jobs.log(job, 2048)) ?? '').split('\n').slice(-6).join('\n') : '';
      const event = { ...(await placed(job)), log: tail };
      const text = JSON.stringify(event);
      if (text !== last) events.send(event);
      last = text;
      if (FINISHED.includes(job.state)) events.end();
    };
    const timer = setInterval(() => {
      look().catch(() => events.end());
    }, PROGRESS_POLL_MS);
    events.onEnd(() => clearInterval(timer));
    await look();
  });

  router.get('/users/:name/job-schedules', async (ctx) => {
    const name = await owner(ctx, 'read:jobs');
    ctx.body = (await store.schedules(name)).map(scheduleModel);
  });

  router.patch('/users/:name/job-schedules/:id', jsonBody, async (ctx) => {
    const name = await owner(ctx, 'jobs');
    const schedule = await store.schedule(String(ctx.params.id));
    if (!schedule || schedule.user !== name)
      throw notFound(`No such recurring job: ${String(ctx.params.id).slice(0, 40)}`);
    const { enabled } = objectBody(ctx);
    if (typeof enabled !== 'boolean') throw badRequest('enabled must be true or false.');
    ctx.body = scheduleModel(await jobs.schedules.setEnabled(schedule, enabled));
  });

  /** Every user's jobs, newest first: for admins (read:jobs for everyone). */
  router.get('/jobs', async (ctx) => {
    await access.allowAll(ctx, 'read:jobs');
    const all = (await Promise.all((await users.names()).map((u) => store.list(u)))).flat();
    ctx.body = all.sort((a, b) => b.created.localeCompare(a.created)).map((j) => jobModel(j));
  });
}
