/**
 * The usage ledger: what each user's servers used per day (UTC), as server-seconds, CPU-seconds
 * and GiB-hours of memory, with the groups the user was in while using it; each day expires after
 * HUB_USAGE_RETENTION. Beside it, two short histories for the usage page: start durations and how
 * many servers ran.
 */
import { keys } from './keys';
import { hgetallMany, type RedisClient } from './redis';

export interface UsageAmounts {
  server_seconds: number;
  cpu_seconds: number;
  memory_gib_hours: number;
}

/** One user's use on one day. */
export interface UsageItem extends UsageAmounts {
  user: string;
  /** YYYY-MM-DD, UTC. */
  day: string;
  groups: string[];
}

/** A part of an accounted interval that falls on one day. */
export interface DayShare {
  day: string;
  amounts: UsageAmounts;
}

/** Where a server's accounting stands: time and the container's CPU-seconds counted so far. */
export interface Accounted {
  at: number;
  cpuSeconds: number;
}

/** Points kept in each history (a week of minutes; a thousand starts). */
const RUNNING_POINTS = 7 * 24 * 60;
const SPAWN_POINTS = 1000;

/** Adds one day's share, and unites the groups the user is in with the day's: one atomic step. */
const ADD = `
local user = ARGV[1]
redis.call('HINCRBYFLOAT', KEYS[1], 's:' .. user, ARGV[2])
redis.call('HINCRBYFLOAT', KEYS[1], 'c:' .. user, ARGV[3])
redis.call('HINCRBYFLOAT', KEYS[1], 'm:' .. user, ARGV[4])
local groups = cjson.decode(ARGV[5])
if #groups > 0 then
  local known = redis.call('HGET', KEYS[1], 'g:' .. user)
  local all, seen = {}, {}
  for _, g in ipairs(known and cjson.decode(known) or {}) do if not seen[g] then seen[g] = true; all[#all + 1] = g end end
  for _, g in ipairs(groups) do if not seen[g] then seen[g] = true; all[#all + 1] = g end end
  redis.call('HSET', KEYS[1], 'g:' .. user, cjson.encode(all))
end
redis.call('EXPIRE', KEYS[1], ARGV[6])
`;

/** Moves a server's accounting on, only while its record exists (a stray field must not make one). */
const MOVE_ON = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'accounted', ARGV[1], 'accountedCpu', ARGV[2])
end
`;

export class UsageStore {
  constructor(
    private readonly redis: RedisClient,
    /** HUB_USAGE_RETENTION */
    readonly retentionDays: number,
  ) {}

  /**
   * Adds `shares` of `user`'s use and moves their server's accounting on to `until`, in one
   * transaction: an interval is counted once, or not at all.
   */
  async add(user: string, shares: DayShare[], groups: string[], until: Accounted): Promise<void> {
    const tx = this.redis.multi();
    for (const { day, amounts } of shares) {
      const ttl = this.retentionDays * 86400 + 86400 * 2;
      const a = amounts;
      const args = [user, a.server_seconds, a.cpu_seconds, a.memory_gib_hours, JSON.stringify(groups), ttl];
      tx.eval(ADD, 1, keys.usageDay(day), ...args.map(String));
    }
    tx.eval(MOVE_ON, 1, keys.server(user), String(until.at), String(until.cpuSeconds));
    await tx.exec();
  }

  /** Every user's use on each of `days`, in the order of the days, users by name. */
  async items(days: string[]): Promise<UsageItem[]> {
    const hashes = await hgetallMany(this.redis, days.map(keys.usageDay));
    return days.flatMap((day, i) => {
      const hash = hashes[i];
      const users = Object.keys(hash)
        .filter((f) => f.startsWith('s:'))
        .map((f) => f.slice(2))
        .sort();
      return users.map((user) => ({
        user,
        day,
        server_seconds: Number(hash[`s:${user}`] ?? 0),
        cpu_seconds: Number(hash[`c:${user}`] ?? 0),
        memory_gib_hours: Number(hash[`m:${user}`] ?? 0),
        groups: hash[`g:${user}`] ? (JSON.parse(hash[`g:${user}`]) as string[]) : [],
      }));
    });
  }

  /** The server-seconds `user` used on `days`, read from their own fields only. */
  async serverSeconds(user: string, days: string[]): Promise<number> {
    const tx = this.redis.pipeline();
    for (const day of days) tx.hget(keys.usageDay(day), `s:${user}`);
    const answers = (await tx.exec()) ?? [];
    return answers.reduce((sum, [err, value]) => sum + (err || value === null ? 0 : Number(value)), 0);
  }

  /** Notes a successful start and how long it took. */
  async noteSpawn(at: number, seconds: number): Promise<void> {
    await this.pushCapped(keys.spawnDurations, `${at} ${seconds}`, SPAWN_POINTS);
  }

  /** Notes how many servers run at `at`. */
  async noteRunning(at: number, count: number): Promise<void> {
    await this.pushCapped(keys.runningServers, `${at} ${count}`, RUNNING_POINTS);
  }

  /** Start durations, oldest first. */
  async spawns(): Promise<Array<{ at: number; seconds: number }>> {
    return (await this.points(keys.spawnDurations)).map(([at, seconds]) => ({ at, seconds }));
  }

  /** Servers running over time, oldest first. */
  async running(): Promise<Array<{ at: number; count: number }>> {
    return (await this.points(keys.runningServers)).map(([at, count]) => ({ at, count }));
  }

  private async pushCapped(key: string, value: string, cap: number): Promise<void> {
    await this.redis
      .multi()
      .lpush(key, value)
      .ltrim(key, 0, cap - 1)
      .exec();
  }

  private async points(key: string): Promise<Array<[number, number]>> {
    const raw = await this.redis.lrange(key, 0, -1);
    return raw.reverse().map((p) => p.split(' ').map(Number) as [number, number]);
  }
}
