/**
 * Login rate limiting: failures are counted per username and per client address over a window;
 * past a few, each further attempt must wait, twice as long after each failure (up to a cap).
 * A success clears the username's count. The same rules apply whether or not the user exists.
 * The counts live in Redis (store/login-failures.ts), so every hub process sees them.
 */
import type { FailureSubject, LoginFailureStore } from '../store/login-failures';

export interface ThrottleRules {
  /** Failures per username before waits begin. */
  perUser: number;
  /** Failures per client address before waits begin (an address may serve many people). */
  perAddress: number;
  windowMs: number;
  maxWaitMs: number;
}

export const DEFAULT_RULES: ThrottleRules = {
  perUser: 5,
  perAddress: 20,
  windowMs: 15 * 60_000,
  maxWaitMs: 15 * 60_000,
};

/** How long attempts wait after `fails` failures when `allowed` go free: 1 s, then doubling, up to the cap. */
export function backoff(fails: number, allowed: number, maxWaitMs: number): number {
  if (fails <= allowed) return 0;
  return Math.min(maxWaitMs, 1000 * 2 ** (fails - allowed - 1));
}

export class LoginThrottle {
  constructor(
    private readonly failures: LoginFailureStore,
    private readonly rules: ThrottleRules = DEFAULT_RULES,
  ) {}

  /** How long (ms) until another attempt for this username from this address is allowed; 0 = now. */
  async wait(username: string, address: string): Promise<number> {
    const [user, from] = await Promise.all([
      this.failures.blockedUntil({ username }),
      this.failures.blockedUntil({ address }),
    ]);
    return Math.max(0, user - Date.now(), from - Date.now());
  }

  async failed(username: string, address: string): Promise<void> {
    await Promise.all([this.count({ username }, this.rules.perUser), this.count({ address }, this.rules.perAddress)]);
  }

  async succeeded(username: string): Promise<void> {
    await this.failures.clear({ username });
  }

  private async count(subject: FailureSubject, allowed: number): Promise<void> {
    const fails = await this.failures.count(subject, this.rules.windowMs);
    const wait = backoff(fails, allowed, this.rules.maxWaitMs);
    if (wait > 0) await this.failures.block(subject, Date.now() + wait, Math.max(this.rules.windowMs, wait));
  }
}
