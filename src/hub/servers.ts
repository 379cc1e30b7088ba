/**
 * Starting and stopping users' servers: the one writer of server state and routes. It turns the
 * Spawner's work into JupyterHub's API answers (ready or still pending; stopped or still
 * stopping), lets one start per user run at a time, and keeps Redis in step with Docker:
 * the route appears only once the server answers, and goes before the container does.
 */
import type { Catalogue } from '../catalogue/catalogue';
import { BerthError, badRequest } from '../errors';
import type { Logger } from '../log';
import type { Spawner } from '../spawner/spawner';
import type { RouteStore } from '../store/routes';
import type { ServerRecord, ServerStore } from '../store/servers';
import type { UserStore } from '../store/users';

export interface ServersDeps {
  spawner: Spawner;
  catalogue: Catalogue;
  routes: RouteStore;
  state: ServerStore;
  users: UserStore;
  log: Logger;
  /** How long a start or stop request waits before answering "pending" (JupyterHub: 10 s). */
  slowMs?: number;
}

export type ServerView =
  | { state: 'stopped'; lastError?: string }
  | { state: 'starting' | 'running' | 'stopping'; record: ServerRecord };

const SLOW_MS = 10_000;

/** Resolves true if `promise` settles in `ms` (rethrowing its error), false if it is still going. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([promise.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

export class Servers {
  private readonly starting = new Map<string, { done: Promise<void>; abort: AbortController }>();
  private readonly stopping = new Map<string, Promise<void>>();
  private readonly lastError = new Map<string, string>();
  private readonly slowMs: number;

  constructor(private readonly deps: ServersDeps) {
    this.slowMs = deps.slowMs ?? SLOW_MS;
  }

  /**
   * Starts `user`'s server from catalogue image `imageId`; without one, from the image the user
   * last started (while it is still offered), else the default.
   * Resolves 'ready' when it answers within the slow-spawn wait, else 'pending' while it goes on.
   * Rejects with 400 when it already runs or the image is not in the catalogue.
   */
  async start(user: string, imageId?: unknown): Promise<'ready' | 'pending'> {
    if (this.starting.has(user)) return 'pending';
    if (this.stopping.has(user)) throw badRequest(`${user}'s server is stopping; try again in a moment.`);
    const abort = new AbortController();
    // Registered before the first await, so a second request cannot start a second container.
    const done = this.spawn(user, imageId, abort.signal);
    this.starting.set(user, { done, abort });
    done.then(
      () => this.starting.delete(user),
      () => this.starting.delete(user),
    );
    return (await settlesWithin(done, this.slowMs)) ? 'ready' : 'pending';
  }

  private async spawn(user: string, imageId: unknown, signal: AbortSignal): Promise<void> {
    const { spawner, catalogue, routes, state, log } = this.deps;
    const existing = await state.get(user);
    if (existing) {
      const status = await spawner.poll(user);
      if (status.running && existing.state === 'running') throw badRequest(`${user}'s server is already running.`);
      await this.forget(user, `found ${existing.state} but ${status.running ? 'not routed' : status.reason}`);
    }
    const image = await catalogue.resolve(imageId ?? (await catalogue.choose(await this.deps.users.lastImage(user))));
    await this.deps.users.setLastImage(user, image.id);
    this.lastError.delete(user);
    await state.put({ user, state: 'starting', image: image.id, started: new Date().toISOString() });
    try {
      const server = await spawner.start({ user, image, signal });
      await routes.set({ user, target: server.target, token: server.token });
      await state.update(user, { state: 'running', container: server.container });
    } catch (err) {
      await state.delete(user);
      const message = err instanceof BerthError ? err.message : 'Your server could not be started; an admin can find why in the hub log.';
      this.lastError.set(user, message);
      log.error('start failed', { user, image: image.id, err });
      throw err instanceof BerthError ? err : new BerthError(500, message);
    }
  }

  /** Stops `user`'s server: 'stopped' when done within the wait, else 'stopping'. Safe when nothing runs. */
  async stop(user: string): Promise<'stopped' | 'stopping'> {
    let done = this.stopping.get(user);
    if (!done) {
      done = this.halt(user);
      this.stopping.set(user, done);
      const forget = () => this.stopping.delete(user);
      done.then(forget, forget);
    }
    return (await settlesWithin(done, this.slowMs)) ? 'stopped' : 'stopping';
  }

  private async halt(user: string): Promise<void> {
    const { spawner, routes, state, log } = this.deps;
    const start = this.starting.get(user);
    if (start) {
      start.abort.abort();
      await start.done.catch(() => undefined);
    }
    if (await state.get(user)) await state.update(user, { state: 'stopping' });
    await routes.delete(user); // traffic stops before the container does
    await spawner.stop(user);
    await state.delete(user);
    log.info('server stopped', { user });
  }

  /** Clears the route and state of a server that is no longer there. */
  private async forget(user: string, why: string): Promise<void> {
    this.deps.log.warn('clearing a stale server record', { user, why });
    await this.deps.routes.delete(user);
    await this.deps.spawner.stop(user);
    await this.deps.state.delete(user);
  }

  /**
   * Makes Redis agree with Docker when the hub starts: a start or stop that a previous hub left
   * half-done is cleaned up, and servers whose container no longer runs lose their route.
   */
  async reconcile(): Promise<void> {
    const { spawner, routes, state } = this.deps;
    const records = await state.list();
    for (const record of records) {
      const status = record.state === 'running' ? await spawner.poll(record.user) : undefined;
      if (!status) await this.forget(record.user, `left ${record.state} by an earlier hub`);
      else if (!status.running) await this.forget(record.user, status.reason);
    }
    const known = new Set(records.map((r) => r.user));
    for (const route of await routes.all()) if (!known.has(route.user)) await this.forget(route.user, 'route without a server record');
  }

  async view(user: string): Promise<ServerView> {
    const record = await this.deps.state.get(user);
    if (!record) return { state: 'stopped', lastError: this.lastError.get(user) };
    return { state: record.state, record };
  }
}
