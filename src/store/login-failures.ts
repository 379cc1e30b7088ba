/**
 * Failed sign-ins in Redis, so every hub process counts the same: per username and per client
 * address, each a count that expires with its window and, once past the allowance, the time
 * until which further attempts must wait. The rules (how many, how long) are auth/throttle.ts's.
 */
import { createHash } from 'node:crypto';
import { keys } from './keys';
import type { RedisClient } from './redis';

/** Whose failures: a username (hashed: it may be long or hostile) or a client address. */
export type FailureSubject = { username: string } | { address: string };

function keyOf(subject: FailureSubject): string {
  const digest = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);
  return 'username' in subject
    ? keys.loginFailuresOfUser(digest(subject.username.toLowerCase()))
    : keys.loginFailuresFromAddress(digest(subject.address));
}

export class LoginFailureStore {
  constructor(private readonly redis: RedisClient) {}

  /** Until when (ms since the epoch) attempts for `subject` must wait; 0 when they need not. */
  async blockedUntil(subject: FailureSubject): Promise<number> {
    return Number((await this.redis.hget(keyOf(subject), 'until')) ?? 0);
  }

  /** Counts one more failure, kept for `windowMs`; resolves how many the window now holds. */
  async count(subject: FailureSubject, windowMs: number): Promise<number> {
    const key = keyOf(subject);
    // In one transaction, so that a count never outlives its window.
    const [counted] = (await this.redis.multi().hincrby(key, 'fails', 1).pexpire(key, windowMs).exec()) ?? [];
    if (!counted || counted[0]) throw counted?.[0] ?? new Error('the failed sign-in was not counted');
    return Number(counted[1]);
  }

  /** Makes attempts for `subject` wait until `until`, keeping the record at least that long. */
  async block(subject: FailureSubject, until: number, keepMs: number): Promise<void> {
    await this.redis.multi().hset(keyOf(subject), 'until', String(until)).pexpire(keyOf(subject), keepMs).exec();
  }

  async clear(subject: FailureSubject): Promise<void> {
    await this.redis.del(keyOf(subject));
  }
}
