/**
 * Pausing idle servers (HUB_PAUSE_AFTER): a paused server's container is frozen (docker pause: no
 * CPU; its memory and kernels kept), its record and route say so, and the next request resumes it:
 * the hub's own proxy asks before forwarding (`resume`), and for another proxy's requests, which
 * wait in the frozen server's socket, the hub resumes servers whose activity moved on since they
 * were paused (`resumeActive`, every second). One pause or resume per server at a time.
 */
import type { Logger } from '../log';
import type { Spawner } from '../spawner/spawner';
import type { ActivityStore } from '../store/activity';
import type { RouteStore } from '../store/routes';
import type { ServerStore } from '../store/servers';
import { OneAtATime } from './one-at-a-time';

export interface PausingDeps {
  spawner: Pick<Spawner, 'pause' | 'unpause'>;
  routes: Pick<RouteStore, 'setPaused'>;
  records: ServerStore;
  activity: ActivityStore;
  log: Logger;
}

export class Pauser {
  private readonly turns = new OneAtATime();

  constructor(private readonly deps: PausingDeps) {}

  /** Whether this engine can pause servers. */
  get possible(): boolean {
    return this.deps.spawner.pause !== undefined && this.deps.spawner.unpause !== undefined;
  }

  /**
   * Freezes `user`'s running server unless it was active after `quietSince` (ms); the route says so
   * first, so a request meanwhile resumes it.
   */
  pause(user: string, quietSince = Date.now()): Promise<void> {
    return this.step(user, async () => {
      const record = await this.deps.records.get(user);
      if (record?.state !== 'running' || !record.container || record.paused !== undefined) return;
      const before = await this.deps.activity.get(user);
      if (before !== undefined && before > quietSince) return;
      const at = Date.now();
      await this.deps.routes.setPaused(user, true);
      await this.deps.records.setPaused(user, at);
      try {
        await this.deps.spawner.pause?.(record.container);
      } catch (err) {
        // Not paused after all: nothing must wait for a resume.
        await this.deps.records.setPaused(user, undefined);
        await this.deps.routes.setPaused(user, false);
        throw err;
      }
      // A request let through before the route said paused now waits in the frozen server.
      if ((await this.deps.activity.get(user)) !== before)
        return this.thaw(user, record.container, at, 'a request came while it was paused');
      this.deps.log.info('paused an idle server', { user });
    });
  }

  /** Thaws `user`'s server if it is paused (`why`, for the log); resolves when it runs again. */
  resume(user: string, why = 'a request'): Promise<void> {
    return this.step(user, async () => {
      const record = await this.deps.records.get(user);
      if (record?.paused === undefined || !record.container) return;
      await this.thaw(user, record.container, record.paused, why);
    });
  }

  private async thaw(user: string, container: string, pausedAt: number, why: string): Promise<void> {
    await this.deps.spawner.unpause?.(container).catch((err: unknown) => {
      // Already running (a restart in between) is what was wanted.
      if (!/is not paused/.test(String(err))) throw err;
    });
    await this.deps.records.setPaused(user, undefined);
    await this.deps.routes.setPaused(user, false);
    await this.deps.activity.touch(user);
    this.deps.log.info('resumed a paused server', { user, why, pausedSeconds: (Date.now() - pausedAt) / 1000 });
  }

  /** Resumes every paused server with traffic since it was paused (another proxy's requests). */
  async resumeActive(): Promise<void> {
    const paused = (await this.deps.records.list()).filter((r) => r.paused !== undefined);
    for (const record of paused) {
      const at = await this.deps.activity.get(record.user);
      if (at !== undefined && at >= (record.paused ?? 0)) await this.resume(record.user, 'activity seen since');
    }
  }

  private step(user: string, work: () => Promise<void>): Promise<void> {
    return this.turns.run(user, work);
  }
}
