/**
 * Opening Redis connections. With REDIS_URL the hub uses that server; without, the embedded
 * redis-server (see embedded-redis.ts) is reached over its unix socket with its password.
 */
import Redis, { type RedisOptions } from 'ioredis';

export type RedisClient = Redis;

/** Where a Redis is: a URL, or the embedded server's socket with a password (and an ACL user). */
export type RedisAddress = { url: string } | { socket: string; password: string; username?: string };

const COMMON: RedisOptions = {
  // Fail fast while Redis is down instead of queueing commands forever: the proxy must answer 503.
  maxRetriesPerRequest: 1,
  enableOfflineQueue: true,
  connectTimeout: 5000,
  retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
};

export function connectRedis(address: RedisAddress, name = 'berth'): RedisClient {
  const options: RedisOptions = { ...COMMON, connectionName: name };
  return 'url' in address
    ? new Redis(address.url, options)
    : new Redis({ ...options, path: address.socket, password: address.password, username: address.username });
}

/** HGETALL of many keys in one round trip, in order ({} for a missing key). */
export async function hgetallMany(redis: RedisClient, keys: string[]): Promise<Array<Record<string, string>>> {
  if (keys.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.hgetall(key);
  const results = (await pipeline.exec()) ?? [];
  return results.map(([, h]) => (h ?? {}) as Record<string, string>);
}
