/**
 * Last activity per user's server, in one sorted set so the culler finds the idle ones with a
 * single range query. Writes only move a time forward (ZADD GT), so racing writers cannot undo
 * each other.
 */
import { keys } from './keys';
import { type RedisClient, scoresOf } from './redis';

export class ActivityStore {
  constructor(private readonly redis: RedisClient) {}

  async touch(user: string, at = Date.now()): Promise<void> {
    await this.redis.zadd(keys.activity, 'GT', at, user);
  }

  /** Sets the time outright (a fresh start counts as activity, whatever came before). */
  async reset(user: string, at = Date.now()): Promise<void> {
    await this.redis.zadd(keys.activity, at, user);
  }

  async get(user: string): Promise<number | undefined> {
    const score = await this.redis.zscore(keys.activity, user);
    return score === null ? undefined : Number(score);
  }

  /** Every user's last activity, in one round trip. */
  async all(): Promise<Map<string, number>> {
    return scoresOf(this.redis, keys.activity);
  }

  /** Several users' last activity in one round trip, in order. */
  async getMany(users: string[]): Promise<Array<number | undefined>> {
    if (users.length === 0) return [];
    return (await this.redis.zmscore(keys.activity, ...users)).map((s) => (s === null ? undefined : Number(s)));
  }

  /** How many users were active since `since` (ms since the epoch). */
  async countSince(since: number): Promise<number> {
    return this.redis.zcount(keys.activity, since, '+inf');
  }

  /** Users whose last activity is older than `before` (ms since the epoch). */
  async idleSince(before: number): Promise<string[]> {
    return this.redis.zrangebyscore(keys.activity, '-inf', `(${before}`);
  }

  async forget(user: string): Promise<void> {
    await this.redis.zrem(keys.activity, user);
  }
}
