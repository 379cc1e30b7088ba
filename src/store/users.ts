/**
 * Users in Redis: one hash per user plus a sorted set of names. Only password hashes are stored.
 * Callers pass normalised usernames (auth/username.ts); this module does not re-validate them.
 */
import { keys } from './keys';
import { evalJson, listOf, type RedisClient, scoresOf } from './redis';
import { newUsersVersion, UserPages } from './user-pages';

export interface User {
  name: string;
  admin: boolean;
  /** ISO 8601 time of creation. */
  created: string;
  /** ISO 8601 time of the last sign-in, if any. */
  lastLogin?: string;
  /** False for users made from HUB_ADMIN_USERS who have no password yet, and for users of a provider. */
  hasPassword: boolean;
  /** The provider that signs this user in (oidc, oauth2, ldap); undefined for local accounts. */
  auth?: string;
}

/** What claiming a username for a provider's identity found (UserStore.claim). */
export type Claim = 'created' | 'claimed' | { taken: 'local' | string };

function toUser(h: Record<string, string>): User | undefined {
  if (!h.name) return undefined;
  return {
    name: h.name,
    admin: h.admin === '1',
    created: h.created,
    lastLogin: h.lastLogin || undefined,
    hasPassword: Boolean(h.password),
    auth: h.auth || undefined,
  };
}

export class UserStore {
  /** Pages of usernames, filtered and ordered in Redis. */
  readonly pages: UserPages;

  constructor(private readonly redis: RedisClient) {
    this.pages = new UserPages(redis);
  }

  /** Creates a user; resolves false (and changes nothing) when the name is taken. */
  async create(name: string, opts: { admin: boolean; passwordHash?: string }): Promise<boolean> {
    const created = new Date();
    // HSETNX on the name field makes creation atomic: two racing creates cannot both win.
    if ((await this.redis.hsetnx(keys.user(name), 'name', name)) === 0) return false;
    await this.redis
      .multi()
      .hset(keys.user(name), {
        admin: opts.admin ? '1' : '0',
        created: created.toISOString(),
        password: opts.passwordHash ?? '',
      })
      .zadd(keys.users, created.getTime(), name)
      .zadd(keys.userNames, 0, name)
      .set(keys.usersVersion, newUsersVersion())
      .exec();
    return true;
  }

  /**
   * Makes `name` the account of `method`'s identity, in one step: creates it, or claims an account
   * that no method holds yet (made by an admin, no password). Never takes a local account (one with a
   * password) nor another provider's: an identity is not merged into someone else's account.
   */
  async claim(name: string, method: string): Promise<Claim> {
    const now = new Date();
    const result = (await this.redis.eval(
      "local h = redis.call('HMGET', KEYS[1], 'name', 'password', 'auth') " +
        "if not h[1] then redis.call('HSET', KEYS[1], 'name', ARGV[1], 'admin', '0', 'created', ARGV[3], " +
        "'password', '', 'auth', ARGV[2]) redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1]) " +
        "redis.call('ZADD', KEYS[3], 0, ARGV[1]) redis.call('SET', KEYS[4], ARGV[5]) return 'created' end " +
        "if h[2] and h[2] ~= '' then return 'local' end " +
        "if h[3] and h[3] ~= '' and h[3] ~= ARGV[2] then return h[3] end " +
        "redis.call('HSET', KEYS[1], 'auth', ARGV[2]) return 'claimed'",
      4,
      keys.user(name),
      keys.users,
      keys.userNames,
      keys.usersVersion,
      name,
      method,
      now.toISOString(),
      String(now.getTime()),
      newUsersVersion(),
    )) as string;
    return result === 'created' || result === 'claimed' ? result : { taken: result };
  }

  async get(name: string): Promise<User | undefined> {
    return toUser(await this.redis.hgetall(keys.user(name)));
  }

  /** The stored password hash ('' when the user has none), or undefined for no such user. */
  async passwordHash(name: string): Promise<string | undefined> {
    const [exists, hash] = await this.redis.hmget(keys.user(name), 'name', 'password');
    return exists ? (hash ?? '') : undefined;
  }

  async setPassword(name: string, passwordHash: string): Promise<void> {
    await this.redis.hset(keys.user(name), 'password', passwordHash);
  }

  async recordLogin(name: string, at = new Date()): Promise<void> {
    await this.redis
      .multi()
      .hset(keys.user(name), 'lastLogin', at.toISOString())
      .zadd(keys.logins, at.getTime(), name)
      .exec();
  }

  /** Every username, oldest account first: cheap, for filtering and sorting before details are read. */
  async names(): Promise<string[]> {
    return listOf(
      await evalJson<string[] | Record<string, never>>(this.redis, "return redis.call('ZRANGE', KEYS[1], 0, -1)", [
        keys.users,
      ]),
    );
  }

  /** Each user's last sign-in, ms since the epoch. */
  async lastLogins(): Promise<Map<string, number>> {
    return scoresOf(this.redis, keys.logins);
  }

  /** Several users in one round trip, in order (undefined for one that is gone). */
  async getMany(names: string[]): Promise<Array<User | undefined>> {
    if (names.length === 0) return [];
    // The fields of a User only: password hashes are long and only their presence matters here.
    const rows = await evalJson<Array<Array<string | false>>>(
      this.redis,
      "local out = {} for i, key in ipairs(KEYS) do local h = redis.call('HMGET', key, 'name', 'admin', " +
        "'created', 'lastLogin', 'password', 'auth') if h[5] and h[5] ~= '' then h[5] = '1' end out[i] = h end " +
        'return out',
      names.map(keys.user),
    );
    return rows.map(([name, admin, created, lastLogin, password, auth]) =>
      toUser({
        name: name || '',
        admin: admin || '',
        created: created || '',
        lastLogin: lastLogin || '',
        password: password || '',
        auth: auth || '',
      }),
    );
  }

  /** The catalogue id the user last started, to preselect it next time. */
  async lastImage(name: string): Promise<string | undefined> {
    return (await this.redis.hget(keys.user(name), 'lastImage')) || undefined;
  }

  async setLastImage(name: string, image: string): Promise<void> {
    await this.redis.hset(keys.user(name), 'lastImage', image);
  }

  /** Why the user's last start failed, or their server stopped without being asked to. */
  async lastError(name: string): Promise<string | undefined> {
    return (await this.redis.hget(keys.user(name), 'lastError')) || undefined;
  }

  async setLastError(name: string, message: string | undefined): Promise<void> {
    if (message === undefined) await this.redis.hdel(keys.user(name), 'lastError');
    // Only for users that exist: a late report about a deleted user must not bring them back.
    else
      await this.redis.eval(
        "if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('HSET', KEYS[1], 'lastError', ARGV[1]) " +
          'end return 0',
        1,
        keys.user(name),
        message,
      );
  }

  /**
   * Replaces the password hash with `next` only while it is still `expected`: a sign-in that
   * upgrades its hash must not undo a password changed meanwhile, nor bring back a deleted user.
   */
  async replacePasswordHash(name: string, expected: string, next: string): Promise<boolean> {
    const replaced = await this.redis.eval(
      "if redis.call('HGET', KEYS[1], 'password') == ARGV[1] then return redis.call('HSET', KEYS[1], 'password', ARGV[2]) " +
        'end return -1',
      1,
      keys.user(name),
      expected,
      next,
    );
    return replaced !== -1;
  }

  async setAdmin(name: string, admin: boolean): Promise<void> {
    await this.redis.hset(keys.user(name), 'admin', admin ? '1' : '0');
  }

  async count(): Promise<number> {
    return this.redis.zcard(keys.users);
  }

  async list(): Promise<User[]> {
    return (await this.getMany(await this.names())).filter((u): u is User => u !== undefined);
  }

  /** Removes a user; resolves false when there was none. */
  async remove(name: string): Promise<boolean> {
    const [[, deleted]] = (await this.redis
      .multi()
      .del(keys.user(name))
      .zrem(keys.users, name)
      .zrem(keys.userNames, name)
      .zrem(keys.logins, name)
      .set(keys.usersVersion, newUsersVersion())
      .exec()) as [[unknown, number]];
    return deleted === 1;
  }
}
