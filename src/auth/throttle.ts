/**
 * Login rate limiting, kept in Redis so every hub process sees it: failures are counted per
 * username and per client address over a window; past a few, each further attempt must wait,
 * twice as long after each failure (up to a cap). A success clears the username's count. The
 * same rules apply whether or not the user exists.
 */
import { createHash } from 'node:crypto';
import type { RedisClient } from '../store/redis';

export interface ThrottleRules {
  /** Failures per username before waits begin. */
  perUser: number;
  /** Failures per client address before waits begin (an address may serve many people). */
  perAddress: number;
  windowMs: number;
  maxWaitMs: number;
}

export const DEFAULT_RULES: ThrottleRules = { perUser: 5, perAddress: 20, windowMs: 15 * 60_000, maxWaitMs: 15 * 60_000 };

/** Redis keys for a username (hashed: it may be long or hostile) and an address. */
function keysOf(username: string, address: string): { user: string; address: string } {
  const h = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);
  return { user: `berth:login:user:${h(username.toLowerCase())}`, address: `berth:login:address:${h(address)}` };
}

export class LoginThrottle {
  constructor(
    private readonly redis: RedisClient,
    private readonly rules: ThrottleRules = DEFAULT_RULES,
  ) {}

  /** How long (ms) until another attempt for this username from this address is allowed; 0 = now. */
  async wait(username: string, address: string): Promise<number> {
    const k = keysOf(username, address);
    const [user, addr] = await Promise.all([this.redis.hget(k.user, 'until'), this.redis.hget(k.address, 'until')]);
    return Math.max(0, Number(user ?? 0) - Date.now(), Number(addr ?? 0) - Date.now());
  }

  async failed(username: string, address: string): Promise<void> {
    const k = keysOf(username, address);
    await Promise.all([this.count(k.user, this.rules.perUser), this.count(k.address, this.rules.perAddress)]);
  }

  async succeeded(username: string, address: string): Promise<void> {
    await this.redis.del(keysOf(username, address).user);
  }

  private async count(key: string, allowed: number): Promise<void> {
    const fails = await this.redis.hincrby(key, 'fails', 1);
    const tx = this.redis.multi().pexpire(key, this.rules.windowMs);
    if (fails > allowed) {
      const wait = Math.min(this.rules.maxWaitMs, 1000 * 2 ** (fails - allowed - 1));
      tx.hset(key, 'until', String(Date.now() + wait)).pexpire(key, Math.max(this.rules.windowMs, wait));
    }
    await tx.exec();
  }
}
