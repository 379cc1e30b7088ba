/**
 * Groups in Redis: each group's members, and each user's groups, kept in step in one
 * transaction per change.
 */
import { keys } from './keys';
import { type RedisClient, smembersMany } from './redis';

export interface Group {
  name: string;
  users: string[];
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
    return { name, users: (await this.redis.smembers(keys.group(name))).sort() };
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

  async delete(name: string): Promise<boolean> {
    const members = await this.redis.smembers(keys.group(name));
    const tx = this.redis.multi().zrem(keys.groups, name).del(keys.group(name));
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
   * new) and leaves those the provider gave before but no longer does. Groups an admin put the
   * user in by hand are left alone.
   */
  async syncFromProvider(user: string, groups: readonly string[]): Promise<{ joined: string[]; left: string[] }> {
    const before = new Set(await this.redis.smembers(keys.providerGroups(user)));
    const now = new Set(groups);
    const left = [...before].filter((g) => !now.has(g));
    const tx = this.redis.multi().del(keys.providerGroups(user));
    if (groups.length > 0) tx.sadd(keys.providerGroups(user), ...groups);
    for (const g of groups)
      tx.zadd(keys.groups, 'NX', Date.now(), g).sadd(keys.group(g), user).sadd(keys.userGroups(user), g);
    for (const g of left) tx.srem(keys.group(g), user).srem(keys.userGroups(user), g);
    await tx.exec();
    return { joined: groups.filter((g) => !before.has(g)), left };
  }

  /** Takes a deleted user out of every group. */
  async forgetUser(user: string): Promise<void> {
    for (const g of await this.groupsOf(user)) await this.remove(g, [user]);
    await this.redis.del(keys.userGroups(user), keys.providerGroups(user));
  }
}
