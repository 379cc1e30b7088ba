/**
 * Fair use: how often running servers are sampled, when idle ones are paused and old ones stopped, how long the usage ledger keeps its days, the
 * hub's weekly quota of server-hours, and the limits on the size of a home.
 */
import { integer, parseBytes, seconds, setting } from './values';

/** A size, or '' for none (0). */
function optionalBytes(raw: string): number {
  return raw === '' ? 0 : parseBytes(raw);
}

/** Hours, decimals allowed; 0: no quota. */
function weeklyHours(raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0 || n > 168)
    throw new Error('must be a number of hours from 0 to 168 (0: no quota)');
  return n;
}

export const USAGE_SETTINGS = {
  usageInterval: setting(
    'HUB_USAGE_INTERVAL',
    '10',
    'Seconds between readings of what each running server uses (memory, CPU): the home and admin pages and /hub/metrics show the last, and the usage ledger counts from them. 0: none.',
    seconds(true),
  ),
  usageRetention: setting(
    'HUB_USAGE_RETENTION',
    '400',
    'Days the usage ledger (server-hours, CPU-seconds, GiB-hours per user and day) keeps each day.',
    integer(1, 3660),
  ),
  pauseAfter: setting(
    'HUB_PAUSE_AFTER',
    '0',
    'Seconds without traffic after which an idle server is paused (docker pause: no CPU, memory and kernels kept); its next request resumes it. 0: never.',
    seconds(true),
  ),
  maxAge: setting(
    'HUB_MAX_AGE',
    '0',
    'Seconds after its start at which a server is stopped even while busy (its owner is warned on the home page). 0: no limit.',
    seconds(true),
  ),
  quotaHoursPerWeek: setting(
    'HUB_QUOTA_HOURS_PER_WEEK',
    '0',
    "Server-hours each user may use a week (from Monday 00:00 UTC), unless their groups' quota says otherwise; a start over it is refused. 0: no quota.",
    weeklyHours,
  ),
  homeSizeInterval: setting(
    'HUB_HOME_SIZE_INTERVAL',
    '600',
    "Seconds between measurements of the home volumes' sizes (Docker's disk usage; one engine only). 0: none.",
    seconds(true),
  ),
  homeSizeWarn: setting(
    'HUB_HOME_SIZE_WARN',
    '',
    'A home larger than this (e.g. 5g) is warned about on its home page. Empty: no warning.',
    optionalBytes,
  ),
  homeSizeLimit: setting(
    'HUB_HOME_SIZE_LIMIT',
    '',
    'A home larger than this (e.g. 10g) cannot start its server until it is made smaller. Empty: no limit.',
    optionalBytes,
  ),
} as const;
