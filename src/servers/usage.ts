/**
 * Live usage: one sampling loop reads what each running server's container uses (memory, and CPU
 * from the difference between two readings), HUB_USAGE_INTERVAL apart, a few containers at a time.
 * One reading per server per interval, however many pages and scrapes ask: they read the last
 * sample, kept in memory for running servers only.
 */
import type { Logger } from '../log';
import type { Spawner } from '../spawner/spawner';
import type { ServerStore } from '../store/servers';
import type { Accountant } from './accounting';

/** What a server uses, as last sampled. */
export interface ServerUsage {
  memoryBytes: number;
  memoryLimitBytes: number;
  /** CPUs busy on average between the last two samples (1 = one whole core). */
  cpu: number;
  cpuSeconds: number;
  /** ms since the epoch. */
  at: number;
}

export interface UsageDeps {
  spawner: Pick<Spawner, 'usage'>;
  records: ServerStore;
  /** The usage ledger, moved on by each reading. */
  accounts?: Pick<Accountant, 'account' | 'running'>;
  log: Logger;
}

/** Containers read at once: the engine answers each in a few ms; more would only queue there. */
const AT_ONCE = 8;

export class UsageSampler {
  private readonly last = new Map<string, ServerUsage & { container: string }>();

  constructor(private readonly deps: UsageDeps) {}

  /** The last sample of `user`'s server, if it runs and has been sampled. */
  of(user: string): ServerUsage | undefined {
    return this.last.get(user);
  }

  /** Every running server's last sample. */
  all(): Map<string, ServerUsage> {
    return this.last;
  }

  /** Reads every running server once. */
  async sample(): Promise<void> {
    const usage = this.deps.spawner.usage?.bind(this.deps.spawner);
    if (!usage) return;
    const running = (await this.deps.records.list()).filter((r) => r.state === 'running' && r.container);
    for (const user of [...this.last.keys()]) if (!running.some((r) => r.user === user)) this.last.delete(user);
    for (let i = 0; i < running.length; i += AT_ONCE) {
      await Promise.all(
        running.slice(i, i + AT_ONCE).map(async ({ user, container }) => {
          const now = await usage(container as string).catch(() => undefined);
          if (!now) return;
          const at = Date.now();
          const before = this.last.get(user);
          // CPU is the time used between two readings of the same container.
          const cpu =
            before && before.container === container && at > before.at
              ? Math.max(0, (now.cpuSeconds - before.cpuSeconds) / ((at - before.at) / 1000))
              : 0;
          this.last.set(user, { ...now, cpu, at, container: container as string });
          await this.deps.accounts?.account(user, now);
        }),
      );
    }
    await this.deps.accounts?.running(running.length);
  }

  /** Samples every `ms` until the returned function is called (0: never). */
  start(ms: number): () => void {
    if (ms <= 0) return () => undefined;
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      this.sample()
        .catch((err: unknown) => this.deps.log.warn('usage sampling failed', { err }))
        .finally(() => (busy = false));
    }, ms);
    timer.unref();
    return () => clearInterval(timer);
  }
}
