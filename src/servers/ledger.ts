/**
 * The writes that keep a server's route, record and activity in step with its container, each
 * timed for the metrics. Only the lifecycle (servers.ts) uses it; it is the one place a server
 * ends, whatever ended it.
 */
import { serverClient } from '../auth/single-user';
import type { Logger } from '../log';
import { secondsSince } from '../metrics/metrics';
import type { RunningServer, ServerStatus, Spawner } from '../spawner/spawner';
import type { ActivityStore } from '../store/activity';
import type { RouteStore } from '../store/routes';
import type { ServerStore } from '../store/servers';
import type { TokenStore } from '../store/tokens';
import type { UserStore } from '../store/users';
import type { Accountant } from './accounting';

/** A duration histogram by outcome (prom-client's Histogram fits). */
interface OutcomeTimer {
  observe(labels: { status: string }, seconds: number): void;
}

export type ServerMetrics = Record<
  'spawnDuration' | 'stopDuration' | 'pollDuration' | 'routeAddDuration' | 'routeDeleteDuration',
  OutcomeTimer
>;

/**
 * How a server ends: its container stopped (`stop`: or the ending fails, say while the engine is
 * away, and is tried again), stopped where the engine lets it (`stop-if-possible`: a failed
 * start, whose record must go whatever the engine says), or already gone; and what its owner is
 * told.
 */
export interface Ending {
  container: 'stop' | 'stop-if-possible' | 'gone';
  /** Shown on the owner's home page; none after a stop they asked for. */
  lastError?: string;
}

export interface LedgerDeps {
  spawner: Spawner;
  log: Logger;
  routes: RouteStore;
  records: ServerStore;
  tokens: TokenStore;
  users: UserStore;
  activity: ActivityStore;
  /** The usage ledger: a server's end counts its last part. */
  accounts?: Pick<Accountant, 'close'>;
  metrics?: ServerMetrics;
}

export class Ledger {
  constructor(private readonly deps: LedgerDeps) {}

  /**
   * Ends `user`'s server: traffic stops first (the route goes), then the container, then what
   * the hub recorded of it; its owner is told why, or nothing, before its record goes.
   */
  async end(user: string, how: Ending): Promise<void> {
    await this.unroute(user);
    await this.deps.accounts?.close(user, how.container !== 'gone');
    if (how.container !== 'gone') {
      // A frozen server would not hear the stop: it would be killed at the end of the grace time.
      const { paused, container } = (await this.deps.records.get(user)) ?? {};
      if (paused !== undefined && container) await this.deps.spawner.unpause?.(container).catch(() => undefined);
      await this.deps.spawner.stop(user).catch((err: unknown) => {
        if (how.container === 'stop') throw err;
        this.deps.log.warn('could not stop a container; reconciling will', { user, err });
      });
    }
    // The server's own API token, and those people got through its OAuth, end with it.
    await this.deps.tokens.deleteForClient(serverClient(user));
    // Told before the record goes: whoever sees the server gone sees why with it.
    await this.deps.users.setLastError(user, how.lastError);
    await this.deps.records.delete(user);
    await this.deps.activity.forget(user);
  }

  /** Routes `user`'s path to their running server. */
  async route(user: string, server: RunningServer): Promise<void> {
    const { target, token } = server;
    await this.timed(this.deps.metrics?.routeAddDuration, () => this.deps.routes.set({ user, target, token }));
  }

  async unroute(user: string): Promise<void> {
    await this.timed(this.deps.metrics?.routeDeleteDuration, () => this.deps.routes.delete(user));
  }

  /** Whether the engine runs `user`'s server. */
  async poll(user: string): Promise<ServerStatus> {
    const begun = performance.now();
    const status = await this.deps.spawner.poll(user);
    this.deps.metrics?.pollDuration.observe({ status: status.running ? 'running' : 'stopped' }, secondsSince(begun));
    return status;
  }

  private async timed(histogram: OutcomeTimer | undefined, work: () => Promise<void>): Promise<void> {
    const begun = performance.now();
    try {
      await work();
      histogram?.observe({ status: 'success' }, secondsSince(begun));
    } catch (err) {
      histogram?.observe({ status: 'failure' }, secondsSince(begun));
      throw err;
    }
  }
}
