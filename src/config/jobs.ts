/**
 * Batch jobs: how many run at once (for the hub and per user), their time limits, and how long
 * finished jobs are kept.
 */
import os from 'node:os';
import { integer, seconds, setting } from './values';

/** auto: half the CPUs (at least one), leaving the rest to interactive servers. */
function jobsLimit(raw: string): number {
  if (raw === 'auto') return Math.max(1, Math.floor(os.availableParallelism() / 2));
  return integer(1, 10_000)(raw);
}

export const JOB_SETTINGS = {
  jobsLimit: setting(
    'HUB_JOBS_LIMIT',
    'auto',
    'Batch jobs that run at once on this hub; more wait in the fair queue. auto: half the CPUs, at least 1.',
    jobsLimit,
  ),
  jobsPerUser: setting('HUB_JOBS_PER_USER', '2', "One user's batch jobs that run at once.", integer(1, 10_000)),
  jobTimeout: setting(
    'HUB_JOB_TIMEOUT',
    '3600',
    'Seconds a batch job may run unless it asks for another limit.',
    seconds(false),
  ),
  jobMaxTimeout: setting(
    'HUB_JOB_MAX_TIMEOUT',
    '86400',
    'The longest time limit (seconds) a batch job may ask for.',
    seconds(false),
  ),
  jobRetention: setting(
    'HUB_JOB_RETENTION',
    '2592000',
    'Seconds finished batch jobs (their records and logs) are kept; the executed notebooks stay in the homes.',
    seconds(false),
  ),
} as const;
