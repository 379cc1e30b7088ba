/**
 * Groups in Redis: each group's members, and each user's groups, kept in step in one
 * transaction per change.
 */
import { keys } from './keys';
import { evalJson, listOf, type RedisClient, smembersMany } from './redis';

/** Where each group's members are kept: keys.group(name) is this prefix and the name. */
const GROUP_PREFIX = keys.group('');

export interface Group {
  name: string;
  users: string[];
  /** Checked by groups/properties.ts before they are stored; {} when none are set. */
  properties: Record<string, unknown>;
}

export class GroupStore {
  constructor(private readonly redis: RedisClient) {}

  /** Creates a group; resolves false when the name is taken. */
  async create(name: string, users: string[]): Promise<boolean> {
    if ((await this.redis.zadd(keys.groups, 'NX', Date.now(), name)) === 0) return false;
    await this.add(name, users);
    return true;
  }

  async exists(name: string): Promise<boolean> {
    return (await this.redis.zscore(keys.groups, name)) !== null;
  }

  async get(name: string): Promise<Group | undefined> {
    if (!(await this.exists(name))) return undefined;
    const [users, properties] = await Promise.all([this.redis.smembers(keys.group(name)), this.properties(name)]);
    return { name, users: users.sort(), properties };
  }

  async list(): Promise<Group[]> {
    const names = await this.redis.zrange(keys.groups, 0, '-1');
    const groups = await Promise.all(names.map((n) => this.get(n)));
    return groups.filter((g): g is Group => g !== undefined).sort((a, b) => a.name.localeCompare(b.name));
  }

  async add(name: string, users: string[]): Promise<void> {
    if (users.length === 0) return;
    const tx = this.redis.multi().sadd(keys.group(name), ...users);
    for (const u of users) tx.sadd(keys.userGroups(u), name);
    await tx.exec();
  }

  async remove(name: string, users: string[]): Promise<void> {
    if (users.length === 0) return;
    const tx = this.redis.multi().srem(keys.group(name), ...users);
    for (const u of users) tx.srem(keys.userGroups(u), name);
    await tx.exec();
  }

  async properties(name: string): Promise<Record<string, unknown>> {
    const raw = await this.redis.get(keys.groupProperties(name));
    return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  }

  async setProperties(name: string, properties: object): Promise<void> {
    await this.redis.set(keys.groupProperties(name), JSON.stringify(properties));
  }

  /** The properties of every group that has some, by group name. */
  async allProperties(): Promise<Map<string, Record<string, unknown>>> {
    const names = await this.redis.zrange(keys.groups, 0, '-1');
    const raw = names.length ? await this.redis.mget(names.map(keys.groupProperties)) : [];
    return new Map(names.flatMap((n, i) => (raw[i] ? [[n, JSON.parse(raw[i] as string)]] : [])));
  }

  async delete(name: string): Promise<boolean> {
    const members = await this.redis.smembers(keys.group(name));
    const tx = this.redis.multi().zrem(keys.groups, name).del(keys.group(name), keys.groupProperties(name));
    for (const u of members) tx.srem(keys.userGroups(u), name);
    const [[, removed]] = (await tx.exec()) as [[unknown, number]];
    return removed === 1;
  }

  async groupsOf(user: string): Promise<string[]> {
    return (await this.redis.smembers(keys.userGroups(user))).sort();
  }

  /** The groups of many users, in one round trip. */
  async groupsOfMany(users: string[]): Promise<Map<string, string[]>> {
    const members = await smembersMany(this.redis, users.map(keys.userGroups));
    return new Map(users.map((u, i) => [u, members[i].sort()]));
  }

  /**
   * Makes the groups `user` has from their provider exactly `groups`: joins each (creating it when
   * new) and leaves those the provider gave before but no longer does, in one step (two sign-ins at
   * once cannot leave a group behind). Groups an admin put the user in by hand are left alone.
   */
  async syncFromProvider(user: string, groups: readonly string[]): Promise<{ joined: string[]; left: string[] }> {
    const [joined, left] = await evalJson<[string[] | Record<string, never>, string[] | Record<string, never>]>(
      this.redis,
      // KEYS: the user's provider groups, all their groups, the group index; ARGV: user, now, the groups.
      "local before = redis.call('SMEMBERS', KEYS[1]) local now, had, joined, left = {}, {}, {}, {} " +
        'for i = 3, #ARGV do now[ARGV[i]] = true end ' +
        'for _, g in ipairs(before) do had[g] = true if not now[g] then table.insert(left, g) ' +
        `redis.call('SREM', '${GROUP_PREFIX}' .. g, ARGV[1]) redis.call('SREM', KEYS[2], g) end end ` +
        "redis.call('DEL', KEYS[1]) for i = 3, #ARGV do local g = ARGV[i] redis.call('SADD', KEYS[1], g) " +
        `redis.call('ZADD', KEYS[3], 'NX', ARGV[2], g) redis.call('SADD', '${GROUP_PREFIX}' .. g, ARGV[1]) ` +
        "redis.call('SADD', KEYS[2], g) if not had[g] then table.insert(joined, g) end end " +
        'return { joined, left }',
      [keys.providerGroups(user), keys.userGroups(user), keys.groups],
      [user, String(Date.now()), ...groups],
    );
    return { joined: listOf(joined).sort(), left: listOf(left).sort() };
  }

  /** The groups an admin put `user` in by hand (not from their provider). */
  async handGroupsOf(user: string): Promise<string[]> {
    return (await this.redis.sdiff(keys.userGroups(user), keys.providerGroups(user))).sort();
  }

  /** Takes a deleted user out of every group. */
  async forgetUser(user: string): Promise<void> {
    for (const g of await this.groupsOf(user)) await this.remove(g, [user]);
    await this.redis.del(keys.userGroups(user), keys.providerGroups(user));
  }
}
