/**
 * Login sessions in Redis, shared by the hub (koa-session's external store) and the proxy
 * (which reads the signed-in user of a session id on each request). Each user's session ids
 * are indexed so that logout everywhere, a password change or deletion can end them all.
 */
import { keys } from './keys';
import type { RedisClient } from './redis';

export interface SessionData {
  passport?: { user?: string };
  _expire?: number;
  [key: string]: unknown;
}

/** The user signed in to a session, if the session is live. */
export function sessionUser(data: SessionData | undefined, now = Date.now()): string | undefined {
  if (!data || (typeof data._expire === 'number' && data._expire < now)) return undefined;
  const user = data.passport?.user;
  return typeof user === 'string' ? user : undefined;
}

/** A session as stored (JSON), or undefined for none or garbage. */
export function parseSession(raw: string | null | undefined): SessionData | undefined {
  if (!raw) return undefined;
  try {
    const data: unknown = JSON.parse(raw);
    return data && typeof data === 'object' ? (data as SessionData) : undefined;
  } catch {
    return undefined;
  }
}

export class SessionStore {
  constructor(private readonly redis: RedisClient) {}

  async get(id: string): Promise<SessionData | undefined> {
    return parseSession(await this.redis.get(keys.session(id)));
  }

  async set(id: string, data: SessionData, maxAgeMs: number | 'session' | undefined): Promise<void> {
    const ttl = typeof maxAgeMs === 'number' ? maxAgeMs : 24 * 3600 * 1000;
    const user = sessionUser(data);
    const tx = this.redis.multi().set(keys.session(id), JSON.stringify(data), 'PX', ttl);
    if (user)
      tx.sadd(keys.userSessions(user), id)
        .pexpire(keys.userSessions(user), ttl, 'GT')
        .pexpire(keys.userSessions(user), ttl, 'NX');
    await tx.exec();
  }

  async destroy(id: string): Promise<void> {
    const user = sessionUser(await this.get(id));
    const tx = this.redis.multi().del(keys.session(id));
    if (user) tx.srem(keys.userSessions(user), id);
    await tx.exec();
  }

  /** Ends every session of `user`; resolves how many were live. */
  async destroyAllOf(user: string): Promise<number> {
    const ids = await this.redis.smembers(keys.userSessions(user));
    const tx = this.redis.multi().del(keys.userSessions(user));
    for (const id of ids) tx.del(keys.session(id));
    const results = (await tx.exec()) ?? [];
    return results.slice(1).filter(([, n]) => n === 1).length;
  }
}
