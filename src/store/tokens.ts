/**
 * API tokens in Redis. A token is shown once, when it is made; Redis keeps only its SHA-256
 * (a token is 256 random bits, so a fast hash is enough) and finds it by that digest. Expiry is
 * Redis's own: an expired token's keys are gone.
 */
import { createHash, randomBytes } from 'node:crypto';
import { keys } from './keys';
import type { RedisClient } from './redis';

export interface TokenRecord {
  /** "a" and a number, as JupyterHub's ids. */
  id: string;
  user: string;
  note: string;
  /** The scopes it was issued with ("inherit" = all of its owner's). */
  scopes: string[];
  created: string;
  expires_at: string | null;
  last_activity: string | null;
  /** The OAuth client (a user's server) it was issued to or for; null for a plain API token. */
  client: string | null;
  /** Issued through OAuth, to a person signing in on a server (not the server's own token). */
  oauth: boolean;
}

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

function toRecord(h: Record<string, string>): TokenRecord | undefined {
  if (!h.id) return undefined;
  return {
    id: h.id,
    user: h.user,
    note: h.note,
    scopes: JSON.parse(h.scopes) as string[],
    created: h.created,
    expires_at: h.expires_at || null,
    last_activity: h.last_activity || null,
    client: h.client || null,
    oauth: h.oauth === '1',
  };
}

/** How often one token's last_activity is written (a busy script calls many times a second). */
const ACTIVITY_EVERY_MS = 60_000;

export class TokenStore {
  private readonly lastWrite = new Map<string, number>();

  constructor(private readonly redis: RedisClient) {}

  /** Makes a token for `user`; resolves the token itself (shown once) and its record. */
  async create(
    user: string,
    opts: { note: string; scopes: string[]; expiresInSeconds?: number; client?: string; oauth?: boolean },
  ): Promise<{ token: string; record: TokenRecord }> {
    const token = randomBytes(32).toString('hex');
    const id = `a${await this.redis.incr(keys.tokenSeq)}`;
    const now = new Date();
    const expires = opts.expiresInSeconds ? new Date(now.getTime() + opts.expiresInSeconds * 1000) : undefined;
    const record: TokenRecord = {
      id,
      user,
      note: opts.note,
      scopes: opts.scopes,
      created: now.toISOString(),
      expires_at: expires?.toISOString() ?? null,
      last_activity: null,
      client: opts.client ?? null,
      oauth: opts.oauth === true,
    };
    const d = digest(token);
    const tx = this.redis
      .multi()
      .hset(keys.token(d), {
        id,
        user,
        note: record.note,
        scopes: JSON.stringify(record.scopes),
        created: record.created,
        expires_at: record.expires_at ?? '',
        last_activity: '',
        client: record.client ?? '',
        oauth: record.oauth ? '1' : '',
      })
      .set(keys.tokenId(id), d)
      .sadd(keys.userTokens(user), id);
    if (record.client) tx.sadd(keys.clientTokens(record.client), `${user} ${id}`);
    if (expires) tx.pexpireat(keys.token(d), expires.getTime()).pexpireat(keys.tokenId(id), expires.getTime());
    await tx.exec();
    return { token, record };
  }

  /** The record of a live token, or undefined (unknown, revoked or expired). */
  async lookup(token: string): Promise<TokenRecord | undefined> {
    if (!/^[0-9a-f]{64}$/.test(token)) return undefined;
    const record = toRecord(await this.redis.hgetall(keys.token(digest(token))));
    if (record) this.touch(token, record.id);
    return record;
  }

  private touch(token: string, id: string): void {
    const now = Date.now();
    if (now - (this.lastWrite.get(id) ?? 0) < ACTIVITY_EVERY_MS) return;
    this.lastWrite.set(id, now);
    this.redis.hset(keys.token(digest(token)), 'last_activity', new Date(now).toISOString()).catch(() => undefined);
  }

  async get(user: string, id: string): Promise<TokenRecord | undefined> {
    const d = await this.redis.get(keys.tokenId(id));
    const record = d ? toRecord(await this.redis.hgetall(keys.token(d))) : undefined;
    return record?.user === user ? record : undefined;
  }

  async list(user: string): Promise<TokenRecord[]> {
    const ids = await this.redis.smembers(keys.userTokens(user));
    const records = await Promise.all(ids.map((id) => this.get(user, id)));
    const gone = ids.filter((_, i) => !records[i]);
    if (gone.length) await this.redis.srem(keys.userTokens(user), ...gone); // expired
    return records
      .filter((r): r is TokenRecord => r !== undefined)
      .sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)));
  }

  /** Revokes one token; resolves false when `user` has no such token. */
  async delete(user: string, id: string): Promise<boolean> {
    const d = await this.redis.get(keys.tokenId(id));
    if (!d || (await this.redis.hget(keys.token(d), 'user')) !== user) return false;
    await this.redis.multi().del(keys.token(d), keys.tokenId(id)).srem(keys.userTokens(user), id).exec();
    return true;
  }

  /** Revokes every token issued to or for OAuth client `client`, whoever holds it (its server ended). */
  async deleteForClient(client: string): Promise<void> {
    for (const member of await this.redis.smembers(keys.clientTokens(client))) {
      const [user, id] = member.split(' ');
      await this.delete(user, id);
    }
    await this.redis.del(keys.clientTokens(client));
  }

  /** Revokes the tokens `user` got by signing in on servers (they signed out of the hub). */
  async deleteOAuthOf(user: string): Promise<void> {
    for (const record of await this.list(user)) if (record.oauth) await this.delete(user, record.id);
  }

  async deleteAllOf(user: string): Promise<void> {
    for (const id of await this.redis.smembers(keys.userTokens(user))) await this.delete(user, id);
    await this.redis.del(keys.userTokens(user));
  }
}
