/**
 * Batch jobs: a notebook run unattended in its own container (spawner/docker-job.ts), queued
 * fairly and kept in Redis (store/jobs.ts). Submitting checks the request and the notebook and
 * queues the job; the pump starts queued jobs while there is room (HUB_JOBS_LIMIT, and
 * HUB_JOBS_PER_USER for each user), taking users in turn so that one user's hundred jobs do not
 * hold back everyone else's one; each running job is followed until its container ends, or is
 * stopped at its time limit or by a cancel. A restarted hub follows the jobs that still run and
 * settles those whose container vanished. Recurring jobs (schedules) submit again at their times.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Catalogue } from '../catalogue/catalogue';
import { BerthError, badRequest, notFound } from '../errors';
import type { Logger } from '../log';
import { grantsOf, pickImage } from '../servers/grants';
import type { JobRunner } from '../spawner/spawner';
import type { GroupStore } from '../store/groups';
import { FINISHED, type JobRecord, type JobSchedule, type JobStore } from '../store/jobs';
import type { UserStore } from '../store/users';
import { FairQueue } from './fair-queue';
import { Follower } from './follower';
import { type JobRequest, parseJobRequest } from './request';
import { Schedules } from './schedules';

export interface JobsDeps {
  store: JobStore;
  /** None: this engine runs no jobs (a swarm, for now). */
  runner?: JobRunner;
  catalogue: Catalogue;
  users: UserStore;
  groups?: GroupStore;
  log: Logger;
  /** HUB_JOBS_LIMIT, HUB_JOBS_PER_USER; time limits in seconds. */
  limits: { global: number; perUser: number; defaultTimeout: number; maxTimeout: number };
}

const TICK_MS = 2000;

export class Jobs {
  private readonly queue: FairQueue;
  readonly schedules: Schedules;
  private pumping: Promise<void> = Promise.resolve();
  /** Jobs taken off the queue whose container is being made (an image may be built first). */
  private readonly launching = new Map<string, Promise<void>>();
  private readonly follower: Follower;
  /** Only the serving hub starts jobs (startBackground); a `berth job run` process only queues them. */
  private serving = false;

  constructor(private readonly deps: JobsDeps) {
    this.queue = new FairQueue(deps.store, deps.limits.perUser);
    this.follower = new Follower({
      store: deps.store,
      runner: () => this.runner(),
      log: deps.log,
      memoryOf: async (job) => (await this.image(job.user, job.image)).limits.memory,
      settled: () => void this.pump(),
    });
    this.schedules = new Schedules(deps.store, deps.log, (user, job, schedule) => this.enqueue(user, job, schedule));
  }

  get store(): JobStore {
    return this.deps.store;
  }

  /** The end of a job's log: live from its container while it runs, else as kept. */
  async log(job: JobRecord, bytes: number): Promise<string | undefined> {
    if (job.state === 'running' && job.container) {
      const live = await this.runner()
        .logs(job.container, bytes)
        .catch(() => undefined);
      if (live !== undefined) return live;
    }
    // Ended between the look at its state and the read: its log is kept by now.
    const kept = await this.deps.store.log(job.id);
    return kept?.slice(-bytes);
  }

  private runner(): JobRunner {
    if (!this.deps.runner) throw new BerthError(503, 'Batch jobs run on one Docker engine only, not yet on a swarm.');
    return this.deps.runner;
  }

  /** Checks and queues a job (or, with a schedule, makes the recurring job); 400s name what is wrong. */
  async submit(user: string, raw: unknown): Promise<JobRecord | JobSchedule> {
    const { limits } = this.deps;
    const request = parseJobRequest(raw, {
      defaultTimeout: limits.defaultTimeout,
      maxTimeout: limits.maxTimeout,
    });
    const image = await this.image(user, request.image);
    const problem = await this.runner().check({ user, image, notebook: request.notebook });
    if (problem) throw badRequest(`notebook: ${problem}`, { field: 'notebook' });
    const job = { ...request, image: image.id };
    if (request.schedule) return this.schedules.make(user, request.schedule, job);
    return this.enqueue(user, job);
  }

  /** The catalogue image a job of `user` runs in: one their groups offer (their last one by default). */
  private async image(user: string, requested: unknown) {
    const grants = await grantsOf(this.deps.groups, user);
    return pickImage(this.deps.catalogue, grants, requested, await this.deps.users.lastImage(user));
  }

  private async enqueue(
    user: string,
    job: Omit<JobRequest, 'schedule' | 'image'> & { image: string },
    schedule?: string,
  ): Promise<JobRecord> {
    const id = randomBytes(6).toString('hex');
    const parsed = path.posix.parse(job.notebook);
    const record: JobRecord = {
      id,
      user,
      notebook: job.notebook,
      image: job.image,
      parameters: job.parameters,
      timeout: job.timeout,
      state: 'queued',
      output: path.posix.join(parsed.dir, `${parsed.name}.job-${id}.ipynb`),
      created: new Date().toISOString(),
      ...(schedule ? { schedule } : {}),
    };
    await this.deps.store.enqueue(record);
    this.deps.log.info('job queued', { user, job: id, notebook: job.notebook });
    if (this.serving) void this.pump();
    return record;
  }

  /** Runs a finished job again, with the same parameters or `parameters`. */
  async rerun(job: JobRecord, parameters: unknown): Promise<JobRecord> {
    const body = {
      notebook: job.notebook,
      image: job.image,
      timeout: job.timeout,
      parameters: parameters ?? job.parameters,
    };
    return (await this.submit(job.user, body)) as JobRecord;
  }

  /** Cancels a queued or running job; resolves once it is settled. A finished job is a 400. */
  async cancel(job: JobRecord): Promise<JobRecord> {
    if (FINISHED.includes(job.state)) throw badRequest(`Job ${job.id} already ended (${job.state}).`);
    if (await this.deps.store.unqueue(job)) {
      await this.deps.store.finish({ ...job, state: 'cancelled', finished: new Date().toISOString() }, '');
    } else {
      this.follower.ending.set(job.id, 'cancelled');
      // A job being launched is stopped once its container exists (launch sees the cancel too).
      await this.launching.get(job.id);
      const running = (await this.deps.store.get(job.id)) ?? job;
      if (running.container && running.state === 'running') await this.runner().stop(running.container);
      await this.follower.settled(job.id);
      this.follower.ending.delete(job.id);
    }
    this.deps.log.info('job cancelled', { user: job.user, job: job.id });
    const settled = await this.deps.store.get(job.id);
    if (!settled) throw notFound(`No such job: ${job.id}`);
    return settled;
  }

  /** A user is deleted: their queued and running jobs are cancelled, their recurring jobs deleted. */
  async forget(user: string): Promise<void> {
    await this.deps.store.deleteSchedules(user);
    for (const job of await this.deps.store.list(user))
      if (!FINISHED.includes(job.state)) await this.cancel(job).catch(() => undefined);
  }

  /** Starts queued jobs while there is room; one pump at a time. */
  pump(): Promise<void> {
    this.pumping = this.pumping
      .then(() => this.fill())
      .catch((err: unknown) => this.deps.log.error('job queue stalled', { err }));
    return this.pumping;
  }

  private async fill(): Promise<void> {
    const { store, limits } = this.deps;
    for (;;) {
      const running = (await Promise.all((await store.running()).map((id) => store.get(id)))).filter(
        (j): j is JobRecord => j !== undefined,
      );
      if (running.length >= limits.global || !this.deps.runner) return;
      const next = await this.queue.next(running);
      if (!next) return;
      if (!(await store.take(next))) continue;
      const launch = this.launch(next).finally(() => this.launching.delete(next.id));
      this.launching.set(next.id, launch);
      await launch;
    }
  }

  /** The queued jobs in the order the fair queue would start them: their places in line. */
  lineup(): Promise<string[]> {
    return this.queue.lineup();
  }

  private async launch(job: JobRecord): Promise<void> {
    const { store, log } = this.deps;
    try {
      const image = await this.image(job.user, job.image);
      const grants = await grantsOf(this.deps.groups, job.user);
      const container = await this.runner().start({ ...job, image, grants });
      const started = { ...job, state: 'running' as const, container, started: new Date().toISOString() };
      await store.save(started);
      log.info('job started', { user: job.user, job: job.id, container: container.slice(0, 12) });
      this.follower.follow(started, true);
      if (this.follower.ending.get(job.id) === 'cancelled') await this.runner().stop(container);
    } catch (err) {
      const message = err instanceof BerthError ? err.message : 'its container could not start; the hub log says why';
      log.error('job could not start', { user: job.user, job: job.id, err });
      await store.finish({ ...job, state: 'failed', error: message, finished: new Date().toISOString() }, '');
    }
  }

  /**
   * After a (re)start: follows the jobs whose containers still run or ended meanwhile, settles as
   * failed those whose container vanished, and removes job containers no record claims.
   */
  async resume(): Promise<void> {
    const { store, runner, log } = this.deps;
    if (!runner) return;
    const containers = await runner.list();
    for (const id of await store.running()) {
      const job = await store.get(id);
      const found = containers.find((c) => c.job === id);
      if (job && found) {
        const running: JobRecord = {
          ...job,
          state: 'running',
          container: found.container,
          started: job.started ?? job.created,
        };
        await store.save(running);
        this.follower.follow(running, found.running);
        continue;
      }
      const gone = { ...(job ?? ({ id } as JobRecord)), state: 'failed' as const, finished: new Date().toISOString() };
      if (job) await store.finish({ ...gone, error: 'its container vanished while the hub was away' }, '');
      else await store.finish(gone, '');
      log.warn('job container vanished', { job: id });
    }
    const running = new Set(await store.running());
    for (const c of containers) if (!running.has(c.job)) await runner.remove(c.container);
    await this.pump();
  }

  /** The background: the queue and the schedules every 2 s. Returns the function that stops it. */
  startBackground(): () => void {
    this.serving = true;
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      this.schedules
        .runDue()
        .then(() => this.pump())
        .catch((err: unknown) => this.deps.log.warn('job schedules failed', { err }))
        .finally(() => (busy = false));
    }, TICK_MS);
    timer.unref();
    return () => {
      clearInterval(timer);
      this.follower.stop();
    };
  }
}
