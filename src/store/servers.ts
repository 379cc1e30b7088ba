/**
 * What the hub knows of each user's server, kept in Redis so that a restarted hub knows it too.
 * The container itself (its labels) stays the truth for what runs; this is the hub's view of it.
 */
import { keys } from './keys';
import { hgetallMany, type RedisClient } from './redis';

export type ServerState = 'starting' | 'running' | 'stopping';

export interface ServerRecord {
  user: string;
  state: ServerState;
  /** Catalogue id of the image. */
  image: string;
  /** ISO 8601 time the start was requested. */
  started: string;
  /** Docker id of the container, once created. */
  container?: string;
  /** The swarm node it runs on (hostname), on a swarm. */
  node?: string;
  /** Its groups' properties or memberships changed since it started: a restart applies them. */
  outdated?: boolean;
  /** The usage ledger counted this server up to here (ms since the epoch), from when it ran. */
  accounted?: number;
  /** Its container's CPU-seconds the ledger counted so far. */
  accountedCpu?: number;
  /** When it was paused (ms since the epoch), while it is. */
  paused?: number;
}

function optionalNumber(raw: string | undefined): number | undefined {
  return raw ? Number(raw) : undefined;
}

function toRecord(h: Record<string, string>): ServerRecord | undefined {
  if (!h.user) return undefined;
  return {
    user: h.user,
    state: h.state as ServerState,
    image: h.image,
    started: h.started,
    container: h.container || undefined,
    node: h.node || undefined,
    outdated: h.outdated === '1' || undefined,
    accounted: optionalNumber(h.accounted),
    accountedCpu: optionalNumber(h.accountedCpu),
    paused: optionalNumber(h.paused),
  };
}

export class ServerStore {
  constructor(private readonly redis: RedisClient) {}

  async get(user: string): Promise<ServerRecord | undefined> {
    return toRecord(await this.redis.hgetall(keys.server(user)));
  }

  /** Several users' records in one round trip, in order. */
  async getMany(users: string[]): Promise<Array<ServerRecord | undefined>> {
    return (await hgetallMany(this.redis, users.map(keys.server))).map(toRecord);
  }

  async put(record: ServerRecord): Promise<void> {
    await this.redis
      .multi()
      .del(keys.server(record.user))
      .hset(keys.server(record.user), {
        ...record,
        container: record.container ?? '',
        node: record.node ?? '',
        outdated: record.outdated ? '1' : '',
        accounted: record.accounted === undefined ? '' : String(record.accounted),
        accountedCpu: record.accountedCpu === undefined ? '' : String(record.accountedCpu),
        paused: record.paused === undefined ? '' : String(record.paused),
      })
      .zadd(keys.servers, Date.now(), record.user)
      .exec();
  }

  async update(
    user: string,
    fields: Partial<Pick<ServerRecord, 'state' | 'container' | 'node' | 'accounted'>>,
  ): Promise<void> {
    const known = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, String(v)]);
    await this.redis.hset(keys.server(user), Object.fromEntries(known));
  }

  /** Marks the servers of `users` that exist as started with older group settings. */
  async markOutdated(users: string[]): Promise<void> {
    if (users.length === 0) return;
    const tx = this.redis.multi();
    // Only records that exist: a stray field must not make a record of its own.
    const body = "if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'outdated', '1') end";
    for (const user of users) tx.eval(body, 1, keys.server(user));
    await tx.exec();
  }

  /** Marks a record that exists paused since `at`, or not paused (undefined). */
  async setPaused(user: string, at: number | undefined): Promise<void> {
    const body = "if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'paused', ARGV[1]) end";
    await this.redis.eval(body, 1, keys.server(user), at === undefined ? '' : String(at));
  }

  async delete(user: string): Promise<void> {
    await this.redis.multi().del(keys.server(user)).zrem(keys.servers, user).exec();
  }

  /** How many servers run or are starting or stopping. */
  async count(): Promise<number> {
    return this.redis.zcard(keys.servers);
  }

  async list(): Promise<ServerRecord[]> {
    return (await this.getMany(await this.redis.zrange(keys.servers, 0, '-1'))).filter(
      (r): r is ServerRecord => r !== undefined,
    );
  }
}
