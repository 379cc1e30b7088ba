/**
 * What the usage API and the usage page ask the ledger: a span of days (at most the ledger's
 * retention), optionally one user or one group's members (as they were while they used it), as
 * JupyterHub-style JSON items or CSV.
 */
import { GROUP_NAME_RULE, isGroupName, normaliseUsername, USERNAME_RULE } from '../auth/username';
import { badRequest } from '../errors';
import { dayOf } from '../servers/accounting';
import type { UsageItem, UsageStore } from '../store/usage';

export interface UsageQuery {
  from: string;
  to: string;
  user?: string;
  group?: string;
}

/** One item as the API answers it. */
export type UsageRow = Omit<UsageItem, 'groups'>;

const DAY_MS = 86_400_000;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** The span shown when none is asked for. */
const DEFAULT_DAYS = 30;

function fail(field: string, problem: string): never {
  throw badRequest(`${field}: ${problem}`, { field });
}

function parseDay(raw: string, field: string): number {
  const ms = Date.parse(`${raw}T00:00:00Z`);
  if (!DAY.test(raw) || Number.isNaN(ms) || dayOf(ms) !== raw) fail(field, 'must be a day as YYYY-MM-DD (UTC)');
  return ms;
}

function single(raw: unknown, field: string): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') fail(field, 'may be given once');
  return raw;
}

/** Reads ?user=&group=&from=&to= (days, UTC, both included); a bad one is a 400 naming it. */
export function parseUsageQuery(query: Record<string, unknown>, now: number, retentionDays: number): UsageQuery {
  for (const key of Object.keys(query))
    if (!['user', 'group', 'from', 'to'].includes(key)) fail(key, 'unknown filter; known ones: user, group, from, to');
  const rawTo = single(query.to, 'to');
  const rawFrom = single(query.from, 'from');
  const to = rawTo ? parseDay(rawTo, 'to') : parseDay(dayOf(now), 'to');
  const from = rawFrom ? parseDay(rawFrom, 'from') : to - (DEFAULT_DAYS - 1) * DAY_MS;
  if (from > to) fail('from', 'must not be after to');
  const rawUser = single(query.user, 'user');
  const user = rawUser === undefined ? undefined : normaliseUsername(rawUser);
  if (rawUser !== undefined && !user) fail('user', `is not a username (${USERNAME_RULE})`);
  const group = single(query.group, 'group');
  if (group !== undefined && !isGroupName(group)) fail('group', `is not a group name (${GROUP_NAME_RULE})`);
  // Days older than the retention are gone from the ledger: they are not asked for.
  const oldest = parseDay(dayOf(now), 'to') - (retentionDays - 1) * DAY_MS;
  return { from: dayOf(Math.max(from, oldest)), to: dayOf(Math.max(to, oldest)), user, group };
}

/** The days from `from` to `to`, both included. */
export function daysOf(q: Pick<UsageQuery, 'from' | 'to'>): string[] {
  const days: string[] = [];
  for (let at = Date.parse(`${q.from}T00:00:00Z`); dayOf(at) <= q.to; at += DAY_MS) days.push(dayOf(at));
  return days;
}

/** The ledger's items that `q` asks for, day by day, users by name. */
export async function usageItems(ledger: UsageStore, q: UsageQuery): Promise<UsageItem[]> {
  return (await ledger.items(daysOf(q))).filter(
    (i) => (q.user === undefined || i.user === q.user) && (q.group === undefined || i.groups.includes(q.group)),
  );
}

const round = (n: number, places: number) => Number(n.toFixed(places));

/** As the API answers: seconds to the millisecond, GiB-hours to six places. */
export function usageRow(i: UsageItem): UsageRow {
  return {
    user: i.user,
    day: i.day,
    server_seconds: round(i.server_seconds, 3),
    cpu_seconds: round(i.cpu_seconds, 3),
    memory_gib_hours: round(i.memory_gib_hours, 6),
  };
}

export const CSV_COLUMNS = ['user', 'day', 'server_seconds', 'cpu_seconds', 'memory_gib_hours'] as const;

/** The rows as CSV (names and days need no quoting: their grammars hold no comma or quote). */
export function usageCsv(rows: UsageRow[]): string {
  return [CSV_COLUMNS.join(','), ...rows.map((r) => CSV_COLUMNS.map((c) => r[c]).join(','))].join('\r\n') + '\r\n';
}
