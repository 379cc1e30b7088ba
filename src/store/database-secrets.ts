/**
 * The passwords of groups' databases (spawner/group-database.ts): random, made the first time one
 * is needed and kept, so a member's role keeps its password across their restarts and the hub's.
 * Never shown in a page or a log; a member's server gets its own in its environment.
 */
import { randomBytes } from 'node:crypto';
import { keys } from './keys';
import type { RedisClient } from './redis';

export interface DatabaseSecrets {
  /** The hub's password as the database's superuser. */
  admin: string;
  /** The member's password. */
  member: string;
}

/** 24 random bytes, in characters a connection URL takes as they are. */
function fresh(): string {
  return randomBytes(24).toString('base64url');
}

export class DatabaseSecretStore {
  constructor(private readonly redis: RedisClient) {}

  /** The hub's and `user`'s passwords for `group`'s database, made on first use. */
  async secrets(group: string, user: string): Promise<DatabaseSecrets> {
    const key = keys.groupDatabase(group);
    const field = `user:${user}`;
    await this.redis.multi().hsetnx(key, 'admin', fresh()).hsetnx(key, field, fresh()).exec();
    const [admin, member] = await this.redis.hmget(key, 'admin', field);
    if (!admin || !member) throw new Error(`the secrets of group database ${group} vanished while read`);
    return { admin, member };
  }

  /** The hub's password for `group`'s database, when it has ever had one. */
  async admin(group: string): Promise<string | undefined> {
    return (await this.redis.hget(keys.groupDatabase(group), 'admin')) ?? undefined;
  }
}
