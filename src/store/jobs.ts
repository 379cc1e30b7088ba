/**
 * Batch jobs in Redis (the job model of DESIGN.md): each job's record, each user's jobs, the
 * queue (a list per user, and the set of users with queued jobs, which the fair queue serves in
 * turn), the running set, finished jobs' logs, and recurring schedules. Only the hub writes here.
 */
import { keys } from './keys';
import { evalJson, type RedisClient } from './redis';

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'timed_out';

export const FINISHED: readonly JobState[] = ['succeeded', 'failed', 'cancelled', 'timed_out'];

export interface JobRecord {
  id: string;
  user: string;
  /** Path of the notebook in the user's home, relative to it. */
  notebook: string;
  /** Catalogue id. */
  image: string;
  parameters: Record<string, unknown>;
  /** Time limit, seconds. */
  timeout: number;
  state: JobState;
  /** Path of the executed notebook in the home. */
  output: string;
  error?: string;
  /** ISO 8601 times. */
  created: string;
  started?: string;
  finished?: string;
  /** The engine's id of its container, while it runs. */
  container?: string;
  /** The schedule that submitted it, for a recurring job. */
  schedule?: string;
}

/** A recurring job: a cron expression that submits `job` again at each of its times. */
export interface JobSchedule {
  id: string;
  user: string;
  cron: string;
  job: Pick<JobRecord, 'notebook' | 'image' | 'parameters' | 'timeout'>;
  enabled: boolean;
  created: string;
  /** ISO 8601: its next run, while enabled. */
  next?: string;
}

export class JobStore {
  constructor(
    private readonly redis: RedisClient,
    /** How long finished jobs are kept, ms. */
    private readonly retentionMs: number,
  ) {}

  /** Stores a new job as queued, at the end of its user's queue. */
  async enqueue(job: JobRecord): Promise<void> {
    await this.redis
      .multi()
      .set(keys.job(job.id), JSON.stringify(job))
      .zadd(keys.userJobs(job.user), Date.parse(job.created), job.id)
      .rpush(keys.jobQueue(job.user), job.id)
      .sadd(keys.jobQueuedUsers, job.user)
      .exec();
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const raw = await this.redis.get(keys.job(id));
    return raw ? (JSON.parse(raw) as JobRecord) : undefined;
  }

  /** A user's jobs, newest first; ids whose record has expired are forgotten. */
  async list(user: string): Promise<JobRecord[]> {
    const ids = await this.redis.zrevrange(keys.userJobs(user), 0, -1);
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(ids.map(keys.job));
    const gone = ids.filter((_, i) => raws[i] === null);
    if (gone.length) await this.redis.zrem(keys.userJobs(user), ...gone);
    return raws.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as JobRecord);
  }

  /** Users with queued jobs. */
  async queuedUsers(): Promise<string[]> {
    return (await this.redis.smembers(keys.jobQueuedUsers)).sort();
  }

  /** Each user's queued job ids, oldest first. */
  async queues(users: string[]): Promise<Map<string, string[]>> {
    const lists = await Promise.all(users.map((u) => this.redis.lrange(keys.jobQueue(u), 0, -1)));
    return new Map(users.map((u, i) => [u, lists[i]]));
  }

  /** Takes `id` off its user's queue and marks it running; false when it was no longer queued (cancelled). */
  async take(job: JobRecord): Promise<boolean> {
    const taken = await evalJson<number>(
      this.redis,
      // KEYS: the user's queue, the queued users, the running set; ARGV: id, user.
      "local n = redis.call('LREM', KEYS[1], 1, ARGV[1]) " +
        "if redis.call('LLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[2]) end " +
        "if n == 1 then redis.call('SADD', KEYS[3], ARGV[1]) end return n",
      [keys.jobQueue(job.user), keys.jobQueuedUsers, keys.jobsRunning],
      [job.id, job.user],
    );
    return taken === 1;
  }

  /** Takes a queued job off the queue (cancelled before it ran); false when it was not queued. */
  async unqueue(job: JobRecord): Promise<boolean> {
    const removed = await evalJson<number>(
      this.redis,
      "local n = redis.call('LREM', KEYS[1], 1, ARGV[1]) " +
        "if redis.call('LLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[2]) end return n",
      [keys.jobQueue(job.user), keys.jobQueuedUsers],
      [job.id, job.user],
    );
    return removed === 1;
  }

  /** Ids of running jobs. */
  async running(): Promise<string[]> {
    return this.redis.smembers(keys.jobsRunning);
  }

  /** Saves a job as it is now (a running one's state, container, started). */
  async save(job: JobRecord): Promise<void> {
    await this.redis.set(keys.job(job.id), JSON.stringify(job));
  }

  /** Saves a finished job with its log (capped by the caller); both expire after the retention. */
  async finish(job: JobRecord, log: string): Promise<void> {
    const ms = this.retentionMs;
    await this.redis
      .multi()
      .set(keys.job(job.id), JSON.stringify(job), 'PX', ms)
      .set(keys.jobLog(job.id), log, 'PX', ms)
      .srem(keys.jobsRunning, job.id)
      .exec();
  }

  async log(id: string): Promise<string | undefined> {
    return (await this.redis.get(keys.jobLog(id))) ?? undefined;
  }

  async saveSchedule(schedule: JobSchedule): Promise<void> {
    const multi = this.redis
      .multi()
      .set(keys.jobSchedule(schedule.id), JSON.stringify(schedule))
      .sadd(keys.userJobSchedules(schedule.user), schedule.id);
    if (schedule.enabled && schedule.next) multi.zadd(keys.jobSchedules, Date.parse(schedule.next), schedule.id);
    else multi.zrem(keys.jobSchedules, schedule.id);
    await multi.exec();
  }

  async schedule(id: string): Promise<JobSchedule | undefined> {
    const raw = await this.redis.get(keys.jobSchedule(id));
    return raw ? (JSON.parse(raw) as JobSchedule) : undefined;
  }

  /** Enabled schedules whose next run is at or before `now`. */
  async dueSchedules(now: number): Promise<JobSchedule[]> {
    const ids = await this.redis.zrangebyscore(keys.jobSchedules, 0, now);
    const all = await Promise.all(ids.map((id) => this.schedule(id)));
    return all.filter((s): s is JobSchedule => s !== undefined);
  }

  /** Deletes a user's recurring jobs (their jobs expire as finished ones do). */
  async deleteSchedules(user: string): Promise<void> {
    const ids = await this.redis.smembers(keys.userJobSchedules(user));
    const multi = this.redis.multi().del(keys.userJobSchedules(user));
    for (const id of ids) multi.del(keys.jobSchedule(id)).zrem(keys.jobSchedules, id);
    await multi.exec();
  }

  /** A user's schedules, enabled or not. */
  async schedules(user: string): Promise<JobSchedule[]> {
    const ids = await this.redis.smembers(keys.userJobSchedules(user));
    const all = await Promise.all(ids.map((id) => this.schedule(id)));
    return all.filter((s): s is JobSchedule => s !== undefined).sort((a, b) => a.created.localeCompare(b.created));
  }
}
