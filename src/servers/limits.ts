/**
 * Whether a start may go ahead: the hub's limit of active servers (HUB_ACTIVE_SERVER_LIMIT), the
 * quotas of the user's groups (servers of the group at once, server-hours a week; the hub's
 * HUB_QUOTA_HOURS_PER_WEEK for those whose groups set none), and the size of their home
 * (HUB_HOME_SIZE_LIMIT). Starts are admitted one at a time, each checking and then writing its
 * record before the next checks, so starts that arrive together cannot overshoot a limit.
 */
import { BerthError } from '../errors';
import type { Grants } from '../groups/properties';
import type { GroupStore } from '../store/groups';
import type { ServerRecord, ServerStore } from '../store/servers';
import type { UsageStore } from '../store/usage';
import { weekOf } from './accounting';
import type { HomeSizes } from './homes';

const RETRY_AFTER_SECONDS = 30;
const MIB = 1024 ** 2;

export interface LimitsDeps {
  records: ServerStore;
  groups?: Pick<GroupStore, 'get'>;
  /** The usage ledger, for the hours used this week. */
  ledger?: Pick<UsageStore, 'serverSeconds'>;
  homes?: Pick<HomeSizes, 'of'>;
  /** Servers that may run or start at once (0: no limit). */
  activeServerLimit: number;
  /** HUB_QUOTA_HOURS_PER_WEEK (0: none). */
  hoursPerWeek?: number;
  /** HUB_HOME_SIZE_WARN and HUB_HOME_SIZE_LIMIT, in bytes (0: none). */
  homeWarn?: number;
  homeLimit?: number;
  /** HUB_MAX_AGE, in ms (0: none). */
  maxAgeMs?: number;
}

/** What is left to a user, as their home page says it. */
export interface Allowance {
  hours?: { limit: number; used: number; group?: string; resetsAt: number };
  home?: { bytes: number; warn?: number; limit?: number };
  /** When the running server reaches HUB_MAX_AGE and is stopped (ms since the epoch). */
  stopsAt?: number;
}

/** A start the limits refuse: a 429 that says which limit, and when to try again. */
export function refused(message: string, retryAfterSeconds = RETRY_AFTER_SECONDS): BerthError {
  return new BerthError(429, message, {}, { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) });
}

/** When `record`'s server reaches HUB_MAX_AGE (ms), if there is one. */
export function stopsAt(record: Pick<ServerRecord, 'started'>, maxAgeMs: number | undefined): number | undefined {
  return maxAgeMs ? Date.parse(record.started) + maxAgeMs : undefined;
}

export function describeSize(bytes: number): string {
  return bytes >= 1024 * MIB ? `${(bytes / 1024 / MIB).toFixed(1)} GiB` : `${Math.round(bytes / MIB)} MiB`;
}

/** Hours to two places at most, without trailing zeros: 1.5, 3, 1.25. */
export const hoursText = (h: number) => String(Number(h.toFixed(2)));

export class StartLimits {
  private gate: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: LimitsDeps) {}

  /** Runs `commit` (writing the start's record) once the limits let `user` start; else rejects with a 429 (403 for the home). */
  admit(user: string, grants: Grants, commit: () => Promise<void>): Promise<void> {
    const turn = this.gate.then(async () => {
      await this.check(user, grants);
      await commit();
    });
    this.gate = turn.catch(() => undefined);
    return turn;
  }

  /** What `user` has left of their weekly hours, and how big their home is against its limits. */
  async allowance(user: string, grants: Grants): Promise<Allowance> {
    const hours = this.weeklyHours(grants);
    const record = await this.deps.records.get(user);
    const allowance: Allowance = {};
    if (hours) {
      const week = weekOf(Date.now());
      allowance.hours = {
        ...hours,
        used: (await this.usedSeconds(user, week.days, record)) / 3600,
        resetsAt: week.ends,
      };
    }
    const bytes = this.deps.homes?.of(user);
    const { homeWarn: warn, homeLimit: limit } = this.deps;
    if (bytes !== undefined) allowance.home = { bytes, warn: warn || undefined, limit: limit || undefined };
    if (record?.state === 'running') allowance.stopsAt = stopsAt(record, this.deps.maxAgeMs);
    return allowance;
  }

  private async check(user: string, grants: Grants): Promise<void> {
    const { activeServerLimit: limit, homes, homeLimit } = this.deps;
    const all = await this.deps.records.list();
    const others = all.filter((r) => r.user !== user);
    if (limit > 0 && others.length >= limit)
      throw refused(`The hub is at its limit of ${limit} active servers (HUB_ACTIVE_SERVER_LIMIT); try again later.`);
    for (const cap of grants.serverCaps) {
      const members = new Set((await this.deps.groups?.get(cap.group))?.users ?? []);
      const running = others.filter((r) => members.has(r.user)).length;
      if (running >= cap.servers)
        throw refused(
          `Your group ${cap.group} may run ${cap.servers} server${cap.servers === 1 ? '' : 's'} at once and runs ${running} now; try again when one of them stops.`,
        );
    }
    const hours = this.weeklyHours(grants);
    if (hours) {
      const week = weekOf(Date.now());
      const used = (await this.usedSeconds(user, week.days, undefined)) / 3600;
      const whose = hours.group ? `the quota of your group ${hours.group}` : "the hub's quota";
      const until = new Date(week.ends).toISOString().slice(0, 16).replace('T', ' ');
      if (used >= hours.limit)
        throw refused(
          `You have used ${hoursText(used)} of your ${hoursText(hours.limit)} server-hours this week (${whose}); they are yours again from Monday ${until} UTC.`,
          (week.ends - Date.now()) / 1000,
        );
    }
    const bytes = homes?.of(user);
    if (homeLimit && bytes !== undefined && bytes > homeLimit)
      throw new BerthError(
        403,
        `Your home folder holds ${describeSize(bytes)}, more than the ${describeSize(homeLimit)} this hub allows (HUB_HOME_SIZE_LIMIT), so your server cannot start. Ask an admin to make room in it or to raise the limit for a while.`,
      );
  }

  /** The weekly hours that apply: the most generous of the groups' quotas, else the hub's, else none. */
  private weeklyHours(grants: Grants): { limit: number; group?: string } | undefined {
    if (grants.hoursPerWeek) return { limit: grants.hoursPerWeek.hours, group: grants.hoursPerWeek.group };
    return this.deps.hoursPerWeek ? { limit: this.deps.hoursPerWeek } : undefined;
  }

  /** Server-seconds `user` used on `days`, with the part of a running server the ledger has not counted yet. */
  private async usedSeconds(user: string, days: string[], record: ServerRecord | undefined): Promise<number> {
    const counted = (await this.deps.ledger?.serverSeconds(user, days)) ?? 0;
    const pending = record?.accounted === undefined ? 0 : Math.max(0, Date.now() - record.accounted) / 1000;
    return counted + pending;
  }
}
