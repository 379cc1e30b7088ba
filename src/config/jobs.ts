/**
 * Batch jobs: how many run at once (for the hub and per user), their time limits, and how long
 * finished jobs are kept.
 */
import os from 'node:os';
import { integer, seconds, setting } from './values';

/** Seconds, at most 24 days: Node's timers take no longer (a longer one would fire at once). */
function jobSeconds(raw: string): number {
  const ms = seconds(false)(raw);
  if (ms > 24 * 86400_000) throw new Error('must be at most 2073600 seconds (24 days)');
  return ms;
}

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
    jobSeconds,
  ),
  jobMaxTimeout: setting(
    'HUB_JOB_MAX_TIMEOUT',
    '86400',
    'The longest time limit (seconds) a batch job may ask for (24 days at most).',
    jobSeconds,
  ),
  jobRetention: setting(
    'HUB_JOB_RETENTION',
    '2592000',
    'Seconds finished batch jobs (their records and logs) are kept; the executed notebooks stay in the homes.',
    seconds(false),
  ),
} as const;
