/**
 * Opening Redis connections. With REDIS_URL the hub uses that server; without, the embedded
 * redis-server (see embedded-redis.ts) is reached over its unix socket with its password.
 */
import { createHash } from 'node:crypto';
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

/**
 * A connection to `address`. `autoPipelining` batches the commands issued in one tick into one
 * write: the proxy's route and session lookups then cost one round trip together. (The hub's own
 * client goes without: batching costs it more than the writes it saves, as measured.)
 */
export function connectRedis(address: RedisAddress, name = 'berth', autoPipelining = false): RedisClient {
  const options: RedisOptions = { ...COMMON, connectionName: name, enableAutoPipelining: autoPipelining };
  return 'url' in address
    ? new Redis(address.url, options)
    : new Redis({ ...options, path: address.socket, password: address.password, username: address.username });
}

/** SHA1 of each script sent, so later calls send the digest (EVALSHA) rather than the text. */
const digests = new Map<string, string>();

/**
 * Runs a Lua `body` that builds a table and receives the table as one JSON string. For a page of
 * users this is one command and one string to parse instead of a command per user and a string
 * object per field, which is what costs the hub its CPU.
 */
export async function evalJson<T>(redis: RedisClient, body: string, keys: string[], args: string[] = []): Promise<T> {
  const script = `return cjson.encode((function() ${body} end)())`;
  let digest = digests.get(script);
  if (digest === undefined) {
    digest = createHash('sha1').update(script).digest('hex');
    digests.set(script, digest);
  }
  const json = await (redis.evalsha(digest, keys.length, ...keys, ...args) as Promise<string>).catch((err: Error) => {
    // First use on this Redis (or after a restart or SCRIPT FLUSH): send the text, which loads it.
    if (!err.message.startsWith('NOSCRIPT')) throw err;
    return redis.eval(script, keys.length, ...keys, ...args) as Promise<string>;
  });
  return JSON.parse(json) as T;
}

/** A list from a Lua script's JSON, where an empty table (an empty list) encodes as {}. */
export function listOf<T>(value: T[] | Record<string, never>): T[] {
  return Array.isArray(value) ? value : [];
}

/** `command` on each of `keys`, in order. */
async function eachKey(redis: RedisClient, command: 'HGETALL' | 'SMEMBERS', keys: string[]): Promise<string[][]> {
  if (keys.length === 0) return [];
  const lists = await evalJson<Array<string[] | Record<string, never>>>(
    redis,
    `local out = {} for i, key in ipairs(KEYS) do out[i] = redis.call('${command}', key) end return out`,
    keys,
  );
  return lists.map(listOf);
}

/** HGETALL of many keys in one round trip, in order ({} for a missing key). */
export async function hgetallMany(redis: RedisClient, keys: string[]): Promise<Array<Record<string, string>>> {
  return (await eachKey(redis, 'HGETALL', keys)).map((flat) => {
    const hash: Record<string, string> = {};
    for (let i = 0; i < flat.length; i += 2) hash[flat[i]] = flat[i + 1];
    return hash;
  });
}

/** SMEMBERS of many keys in one round trip, in order. */
export async function smembersMany(redis: RedisClient, keys: string[]): Promise<string[][]> {
  return eachKey(redis, 'SMEMBERS', keys);
}

/** A whole sorted set as member → score, in one round trip. */
export async function scoresOf(redis: RedisClient, key: string): Promise<Map<string, number>> {
  const flat = await redis.zrange(key, 0, '-1', 'WITHSCORES');
  const out = new Map<string, number>();
  for (let i = 0; i < flat.length; i += 2) out.set(flat[i], Number(flat[i + 1]));
  return out;
}
