/**
 * Following running jobs: each one's container is waited for, stopped at its time limit, and
 * once it has ended its record says how (succeeded; failed, with the cell and error or the memory
 * limit; timed out; cancelled) with its log, and the container goes.
 */
import type { Logger } from '../log';
import type { JobExit, JobRunner } from '../spawner/spawner';
import type { JobRecord, JobState, JobStore } from '../store/jobs';

export interface FollowerDeps {
  store: JobStore;
  runner: () => JobRunner;
  log: Logger;
  /** The memory limit (bytes) the job ran with, for the message of one that it killed. */
  memoryOf: (job: JobRecord) => Promise<number>;
  /** Called when a job has been settled: there is room for another. */
  settled: () => void;
}

export class Follower {
  /** How a job that is being stopped ends (cancelled, timed out), rather than by its own result. */
  readonly ending = new Map<string, JobState>();
  private readonly following = new Map<string, Promise<void>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly deps: FollowerDeps) {}

  /** Resolves once job `id` (if this hub follows it) has been settled. */
  settled(id: string): Promise<void> | undefined {
    return this.following.get(id);
  }

  /**
   * Waits for a running job's container and records how it ended; `running` (its container still
   * runs) arms its time limit: one that ended while the hub was away is judged by how it ended.
   */
  follow(job: JobRecord, running: boolean): void {
    const container = job.container;
    if (!container || this.following.has(job.id)) return;
    if (running)
      this.armTimeout(job, container, job.timeout * 1000 - (Date.now() - Date.parse(job.started ?? job.created)));
    const done = this.deps
      .runner()
      .wait(container)
      .catch((err: unknown): JobExit => {
        this.deps.log.error('lost a job container', { job: job.id, err });
        return { ok: false, error: 'its container vanished', oom: false, log: '' };
      })
      .then((exit) => this.settle(job, exit))
      .catch((err: unknown) => this.deps.log.error('could not record how a job ended', { job: job.id, err }))
      .finally(() => {
        clearTimeout(this.timers.get(job.id));
        this.timers.delete(job.id);
        this.following.delete(job.id);
        this.deps.settled();
      });
    this.following.set(job.id, done);
  }

  /** Stops every time limit (the hub stops; the jobs run on and a restarted hub follows them). */
  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
  }

  private armTimeout(job: JobRecord, container: string, left: number): void {
    const timer = setTimeout(
      () => {
        this.ending.set(job.id, 'timed_out');
        this.deps
          .runner()
          .stop(container)
          .catch((err: unknown) => this.deps.log.warn('could not stop a job at its time limit', { job: job.id, err }));
      },
      Math.max(0, left),
    );
    this.timers.set(job.id, timer);
  }

  private async settle(job: JobRecord, exit: JobExit): Promise<void> {
    const forced = this.ending.get(job.id);
    this.ending.delete(job.id);
    const state: JobState = forced ?? (exit.ok ? 'succeeded' : 'failed');
    const memory = await this.deps.memoryOf(job).then(
      (bytes) => `${Math.round(bytes / 1024 ** 2)} MiB`,
      () => 'its limit',
    );
    const error =
      state === 'timed_out'
        ? `it ran past its time limit (${job.timeout} s) and was stopped`
        : state === 'failed'
          ? exit.oom
            ? `it was killed by its memory limit (${memory})`
            : (exit.error ?? 'its container ended without a result; see the log')
          : undefined;
    const { container, ...rest } = job;
    await this.deps.store.finish({ ...rest, state, error, finished: new Date().toISOString() }, exit.log);
    if (container) await this.deps.runner().remove(container);
    this.deps.log.info('job ended', { user: job.user, job: job.id, state });
  }
}
