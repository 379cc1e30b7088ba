/**
 * Fair use: how often running servers are sampled, and how long the usage ledger keeps its days.
 */
import { integer, seconds, setting } from './values';

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
} as const;
