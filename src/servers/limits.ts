/**
 * Whether a start may go ahead: the hub's limit of active servers (HUB_ACTIVE_SERVER_LIMIT).
 * Starts are admitted one at a time, each checking and then writing its record before the next
 * checks, so starts that arrive together cannot overshoot a limit between them.
 */
import { BerthError } from '../errors';
import type { ServerStore } from '../store/servers';

const RETRY_AFTER_SECONDS = 30;

export interface LimitsDeps {
  records: ServerStore;
  /** Servers that may run or start at once (0: no limit). */
  activeServerLimit: number;
}

/** A start the limits refuse: a 429 that says which limit, and when to try again. */
export function refused(message: string, retryAfterSeconds = RETRY_AFTER_SECONDS): BerthError {
  return new BerthError(429, message, {}, { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) });
}

export class StartLimits {
  private gate: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: LimitsDeps) {}

  /** Runs `commit` (writing the start's record) once the limits let `user` start; else rejects with a 429. */
  admit(user: string, commit: () => Promise<void>): Promise<void> {
    const turn = this.gate.then(async () => {
      await this.check(user);
      await commit();
    });
    this.gate = turn.catch(() => undefined);
    return turn;
  }

  private async check(user: string): Promise<void> {
    const { records, activeServerLimit: limit } = this.deps;
    if (limit > 0 && (await records.count()) >= limit && !(await records.get(user)))
      throw refused(`The hub is at its limit of ${limit} active servers (HUB_ACTIVE_SERVER_LIMIT); try again later.`);
  }
}
