/**
 * Recurring jobs: a cron expression (cron-parser) that submits a job again at each of its times.
 * A run whose time comes while the previous run is still queued or running is skipped (and
 * logged), so a slow job never piles up behind itself. Turned off, a schedule keeps its history.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../log';
import { FINISHED, type JobRecord, type JobSchedule, type JobStore } from '../store/jobs';
import { nextRun } from './request';

type Submit = (user: string, job: JobSchedule['job'], schedule: string) => Promise<JobRecord>;

export class Schedules {
  constructor(
    private readonly store: JobStore,
    private readonly log: Logger,
    private readonly submit: Submit,
  ) {}

  async make(user: string, cron: string, job: JobSchedule['job']): Promise<JobSchedule> {
    const now = new Date();
    const schedule: JobSchedule = {
      id: randomBytes(6).toString('hex'),
      user,
      cron,
      job,
      enabled: true,
      created: now.toISOString(),
      next: nextRun(cron, now).toISOString(),
    };
    await this.store.saveSchedule(schedule);
    this.log.info('recurring job made', { user, schedule: schedule.id, cron });
    return schedule;
  }

  /** Turns a recurring job on or off (off keeps its history); on again, it runs from its next time. */
  async setEnabled(schedule: JobSchedule, enabled: boolean): Promise<JobSchedule> {
    const next = enabled ? nextRun(schedule.cron, new Date()).toISOString() : undefined;
    const changed = { ...schedule, enabled, next };
    await this.store.saveSchedule(changed);
    return changed;
  }

  /** Submits the runs whose time has come. */
  async runDue(now = Date.now()): Promise<void> {
    for (const schedule of await this.store.dueSchedules(now)) {
      const busy = (await this.store.list(schedule.user)).some(
        (j) => j.schedule === schedule.id && !FINISHED.includes(j.state),
      );
      if (busy) this.log.warn('recurring job skipped: its last run is still on', { schedule: schedule.id });
      else await this.submit(schedule.user, schedule.job, schedule.id);
      await this.store.saveSchedule({ ...schedule, next: nextRun(schedule.cron, new Date(now)).toISOString() });
    }
  }
}
