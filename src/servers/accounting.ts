/**
 * Accounting for the usage ledger. A server is counted from the moment it runs until it ends:
 * each usage sample moves its account on (the time since the last step, the CPU its container used
 * since, and its memory over that time), and its end counts the rest. Server time is exact (the
 * hub's own records: when it ran, when it ended); CPU is exact up to the last reading, memory is
 * within one sampling interval. Where the account stands is kept in the server's record, so a
 * restarted hub goes on from there without counting anything twice.
 */
import type { Logger } from '../log';
import type { ContainerUsage, Spawner } from '../spawner/spawner';
import type { GroupStore } from '../store/groups';
import type { ServerRecord, ServerStore } from '../store/servers';
import type { DayShare, UsageStore } from '../store/usage';
import { OneAtATime } from './one-at-a-time';

export interface AccountingDeps {
  store: UsageStore;
  records: ServerStore;
  /** Reads a container one last time as its server ends. */
  spawner: Pick<Spawner, 'usage'>;
  /** Whose members' use each group's total includes. */
  groups?: Pick<GroupStore, 'groupsOf'>;
  log: Logger;
}

const DAY_MS = 86_400_000;
const GIB = 1024 ** 3;
/** How often the number of running servers is noted for the usage page. */
const RUNNING_NOTE_MS = 60_000;

/** The UTC day of `ms`, as YYYY-MM-DD. */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The parts of [from, to) on each UTC day, as fractions of the whole. */
export function splitByDay(from: number, to: number): Array<{ day: string; fraction: number }> {
  const parts: Array<{ day: string; fraction: number }> = [];
  for (let at = from; at < to; ) {
    const next = Math.min(to, (Math.floor(at / DAY_MS) + 1) * DAY_MS);
    parts.push({ day: dayOf(at), fraction: (next - at) / (to - from) });
    at = next;
  }
  return parts;
}

/** The week of `ms` (from Monday 00:00 UTC): its days up to and including `ms`'s, and when it ends. */
export function weekOf(ms: number): { days: string[]; ends: number } {
  const today = Math.floor(ms / DAY_MS) * DAY_MS;
  const monday = today - ((new Date(ms).getUTCDay() + 6) % 7) * DAY_MS;
  const days: string[] = [];
  for (let at = monday; at <= today; at += DAY_MS) days.push(dayOf(at));
  return { days, ends: monday + 7 * DAY_MS };
}

/**
 * Where an adopted server's account starts: where it stood, for the container it was counting;
 * from now, for one the ledger never saw.
 */
export function accountFrom(record: ServerRecord | undefined, container: string): Partial<ServerRecord> {
  if (record?.container === container && record.accounted !== undefined)
    return { accounted: record.accounted, accountedCpu: record.accountedCpu };
  return { accounted: Date.now() };
}

export class Accountant {
  /** One accounting step per user at a time: a sample and a server's end never count one interval twice. */
  private readonly turns = new OneAtATime();
  /** The last memory reading of each running server, for the time after it. */
  private readonly memory = new Map<string, number>();
  private runningNotedAt = 0;

  constructor(private readonly deps: AccountingDeps) {}

  /** Counts `user`'s running server up to now, with `reading` just taken of its container. */
  account(user: string, reading: ContainerUsage): Promise<void> {
    return this.step(user, async () => {
      this.memory.set(user, reading.memoryBytes);
      await this.countUpToNow(user, reading);
    });
  }

  /**
   * Counts `user`'s server up to its end, reading its container once more when it can still be
   * read (`readable`). Never throws: a server ends whatever the ledger says.
   */
  close(user: string, readable: boolean): Promise<void> {
    return this.step(user, async () => {
      const record = await this.deps.records.get(user);
      const container = readable ? record?.container : undefined;
      const reading = container ? await this.deps.spawner.usage?.(container).catch(() => undefined) : undefined;
      await this.countUpToNow(user, reading);
      this.memory.delete(user);
    });
  }

  /** Notes a successful start's duration (the usage page's chart). */
  spawned(seconds: number): void {
    this.deps.store
      .noteSpawn(Date.now(), seconds)
      .catch((err: unknown) => this.deps.log.warn('could not note a start', { err }));
  }

  /** Notes how many servers run, about once a minute. */
  async running(count: number): Promise<void> {
    const now = Date.now();
    if (now - this.runningNotedAt < RUNNING_NOTE_MS) return;
    this.runningNotedAt = now;
    await this.deps.store.noteRunning(now, count);
  }

  private step(user: string, work: () => Promise<void>): Promise<void> {
    return this.turns
      .run(user, work)
      .catch((err: unknown) => this.deps.log.warn('usage accounting failed', { user, err }));
  }

  private async countUpToNow(user: string, reading: ContainerUsage | undefined): Promise<void> {
    const record = await this.deps.records.get(user);
    // Counted from when it runs: a record without `accounted` has not run yet.
    if (record?.accounted === undefined) return;
    const now = Date.now();
    if (now <= record.accounted) return;
    const counted = record.accountedCpu ?? 0;
    const cpuNow = reading?.cpuSeconds ?? counted;
    // A container read for the first time counts all its CPU; one that went back was replaced.
    const cpu = cpuNow >= counted ? cpuNow - counted : cpuNow;
    const seconds = (now - record.accounted) / 1000;
    const gibHours = ((this.memory.get(user) ?? 0) / GIB) * (seconds / 3600);
    const shares: DayShare[] = splitByDay(record.accounted, now).map(({ day, fraction }) => ({
      day,
      amounts: {
        server_seconds: seconds * fraction,
        cpu_seconds: cpu * fraction,
        memory_gib_hours: gibHours * fraction,
      },
    }));
    const groups = (await this.deps.groups?.groupsOf(user)) ?? [];
    await this.deps.store.add(user, shares, groups, { at: now, cpuSeconds: cpuNow });
  }
}
