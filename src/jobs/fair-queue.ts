/**
 * Which queued job starts next: users take turns (round-robin, in name order from the one after
 * the user served last), each giving their oldest queued job, and a user already running their
 * HUB_JOBS_PER_USER jobs waits for their next turn. One user's hundred jobs therefore hold back
 * nobody else's first one.
 */
import type { JobRecord, JobStore } from '../store/jobs';

export class FairQueue {
  /** The user served last: the next turn goes to the one after them. */
  private lastServed = '';

  constructor(
    private readonly store: JobStore,
    private readonly perUser: number,
  ) {}

  /** Users with queued jobs, in the order of their turns from now. */
  private async turns(): Promise<{ turn: string[]; queues: Map<string, string[]> }> {
    const users = await this.store.queuedUsers();
    const after = users.findIndex((u) => u > this.lastServed);
    const turn = after < 0 ? users : [...users.slice(after), ...users.slice(0, after)];
    return { turn, queues: await this.store.queues(turn) };
  }

  /** The first queued job of the next user in turn who is under their own limit (that user's turn is used). */
  async next(running: JobRecord[]): Promise<JobRecord | undefined> {
    const { turn, queues } = await this.turns();
    for (const user of turn) {
      if (running.filter((j) => j.user === user).length >= this.perUser) continue;
      for (const id of queues.get(user) ?? []) {
        const job = await this.store.get(id);
        if (job?.state === 'queued') {
          this.lastServed = user;
          return job;
        }
      }
    }
    return undefined;
  }

  /** Queued job ids in the order they would start (ignoring the per-user limit): places in line. */
  async lineup(): Promise<string[]> {
    const { turn, queues } = await this.turns();
    const order: string[] = [];
    for (let round = 0; turn.some((u) => (queues.get(u)?.length ?? 0) > round); round++)
      for (const user of turn) {
        const id = queues.get(user)?.[round];
        if (id) order.push(id);
      }
    return order;
  }
}
