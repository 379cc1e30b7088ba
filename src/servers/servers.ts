/**
 * The server lifecycle: starting and stopping users' servers, the one writer of server records
 * and routes. It turns the Spawner's work into JupyterHub's API answers (ready or still pending;
 * stopped or still stopping), lets one start per user run at a time and a limited number at
 * once (the rest wait in line), reports each start's progress, and keeps Redis in step with the
 * engine: the route appears only once the server answers and goes before the container does;
 * servers that die are noticed (engine events, and `reconcile` as a backstop), and a restarted
 * hub adopts what still runs. It knows the engine and the catalogue only by their interfaces.
 */
import { serverClient, serverPrefix, serverTokenScopes } from '../auth/single-user';
import { BerthError, badRequest } from '../errors';
import { secondsSince } from '../metrics/metrics';
import type { ServerContainer, StartProgress } from '../spawner/spawner';
import { accountFrom } from './accounting';
import { withDatabase } from './databases';
import type { ServersDeps, ServerView } from './deps';
import { grantsOf, pickImage } from './grants';
import { Ledger } from './ledger';
import { StartLimits } from './limits';
import { ProgressTracker } from './progress';
import { SpawnQueue } from './queue';
import { type Fix, planReconcile } from './reconcile';
import { milestone, settlesWithin } from './waiting';

export type { ServersDeps, ServerView };

const SLOW_MS = 10_000;

export class Servers {
  readonly progress = new ProgressTracker();
  private readonly queue: SpawnQueue;
  private readonly starting = new Map<string, { done: Promise<void>; abort: AbortController; since: string }>();
  private readonly stopping = new Map<string, { done: Promise<void>; accepted: Promise<void> }>();
  private readonly slowMs: number;
  private readonly ledger: Ledger;
  readonly limits: StartLimits;

  constructor(private readonly deps: ServersDeps) {
    this.slowMs = deps.slowMs ?? SLOW_MS;
    this.queue = new SpawnQueue(deps.concurrentSpawnLimit);
    this.ledger = new Ledger(deps);
    this.limits = new StartLimits(deps);
  }

  /** Starts waiting in line for a spawn slot. */
  get queued(): number {
    return this.queue.waiting;
  }

  private busy(user: string): boolean {
    return this.starting.has(user) || this.stopping.has(user);
  }

  /**
   * Runs `work` as `user`'s start: registered before its first await, so a second request
   * cannot start a second one.
   */
  private track(user: string, work: (signal: AbortSignal) => Promise<void>): Promise<void> {
    const abort = new AbortController();
    const done = work(abort.signal);
    this.starting.set(user, { done, abort, since: new Date().toISOString() });
    const forget = () => this.starting.delete(user);
    done.then(forget, forget);
    return done;
  }

  /**
   * Starts `user`'s server from catalogue image `imageId`; without one, from the image the user
   * last started (while it is still offered), else the default. Resolves 'ready' when it
   * answers within the slow-spawn wait, else 'pending' while it goes on. Rejects with 400 when
   * it already runs or the image is not in the catalogue, 429 at HUB_ACTIVE_SERVER_LIMIT.
   */
  async start(user: string, imageId?: unknown): Promise<'ready' | 'pending'> {
    const begun = performance.now();
    const alreadyPending = () => {
      this.deps.metrics?.spawnDuration.observe({ status: 'already-pending' }, secondsSince(begun));
      return 'pending' as const;
    };
    if (this.starting.has(user)) return alreadyPending();
    if (this.stopping.has(user)) throw badRequest(`${user}'s server is stopping; try again in a moment.`);
    const accepted = milestone();
    const done = this.track(user, (signal) => this.spawn(user, imageId, signal, accepted.reach, begun));
    // Answer once the start is in Redis, so that the user's model shows it pending, or once it
    // failed before that (an image not in the catalogue is a 400, never a 202).
    await Promise.race([accepted.reached, done]);
    return (await settlesWithin(done, this.slowMs)) ? 'ready' : 'pending';
  }

  private async spawn(
    user: string,
    imageId: unknown,
    signal: AbortSignal,
    onAccepted: () => void,
    begun: number,
  ): Promise<void> {
    const { spawner, catalogue, records, users, activity, log, metrics } = this.deps;
    this.progress.begin(user);
    let accepted = false;
    try {
      await this.clearStale(user);
      const grants = await grantsOf(this.deps.groups, user);
      const image = await pickImage(catalogue, grants, imageId, await users.lastImage(user));
      await users.setLastImage(user, image.id);
      await users.setLastError(user, undefined);
      const started = new Date().toISOString();
      await this.limits.admit(user, grants, () => records.put({ user, state: 'starting', image: image.id, started }));
      accepted = true;
      onAccepted();
      this.progress.report(user, { stage: 'requested', message: 'Server requested' });
      // While it waits for a spawn slot, the pending page hears its place in line.
      const release = await this.queue.acquire((ahead) => {
        const message = ahead === 0 ? 'Next in line to start' : `Waiting in line to start: ${ahead} ahead of you`;
        this.progress.report(user, { stage: 'queued', message });
      }, signal);
      try {
        const report = (p: StartProgress) => this.progress.report(user, p);
        const database = await withDatabase(this.deps, user, grants, report);
        const apiToken = await this.serverToken(user);
        const request = { user, image, signal, apiToken, ...database };
        const server = await spawner.start(request, report);
        this.progress.report(user, { stage: 'routing', message: 'Your server answers; routing it' });
        await this.ledger.route(user, server);
        const { container, node } = server;
        await records.update(user, { state: 'running', container, node, accounted: Date.now() });
      } finally {
        release();
      }
      await activity.reset(user);
      this.progress.ready(user, `/user/${user}/`);
      metrics?.spawnDuration.observe({ status: 'success' }, secondsSince(begun));
      this.deps.accounts?.spawned(secondsSince(begun));
    } catch (err) {
      const known = err instanceof BerthError;
      const message = known ? err.message : 'Your server could not be started; an admin can find why in the hub log.';
      if (known && err.status === 429) {
        metrics?.spawnDuration.observe({ status: 'too-many-users' }, secondsSince(begun));
        log.info('start refused by a limit', { user, message });
      } else log.error('start failed', { user, err });
      // A request refused before the start began (a bad image, the engine down) failed no server.
      if (accepted) {
        metrics?.spawnDuration.observe({ status: 'failure' }, secondsSince(begun));
        await this.ledger.end(user, { container: 'stop-if-possible', lastError: message });
      }
      this.progress.failed(user, message);
      throw known ? err : new BerthError(500, message);
    }
  }

  /** A fresh hub API token for `user`'s server, with JupyterHub's server scopes; it ends with the server. */
  private async serverToken(user: string): Promise<string> {
    const note = `Server at ${serverPrefix(user)}`;
    const scopes = serverTokenScopes(user);
    return (await this.deps.tokens.create(user, { note, scopes, client: serverClient(user) })).token;
  }

  /** A record left from an earlier server: a 400 if that server runs, else it is cleared away. */
  private async clearStale(user: string): Promise<void> {
    const existing = await this.deps.records.get(user);
    if (!existing) return;
    const status = await this.ledger.poll(user);
    if (status.running && existing.state === 'running') throw badRequest(`${user}'s server is already running.`);
    const why = `found ${existing.state} but ${status.running ? 'not routed' : status.reason}`;
    this.deps.log.warn('clearing a stale server record', { user, why });
    await this.ledger.end(user, { container: 'stop' });
  }

  /** Stops `user`'s server: 'stopped' when done within the wait, else 'stopping'. Safe when nothing runs. */
  async stop(user: string): Promise<'stopped' | 'stopping'> {
    let stop = this.stopping.get(user);
    if (!stop) {
      const accepted = milestone();
      const done = this.halt(user, accepted.reach);
      // As for a start: answer once the model shows the stop pending, or it is over.
      stop = { done, accepted: Promise.race([accepted.reached, done]) };
      this.stopping.set(user, stop);
      const forget = () => this.stopping.delete(user);
      done.then(forget, forget);
    }
    await stop.accepted;
    return (await settlesWithin(stop.done, this.slowMs)) ? 'stopped' : 'stopping';
  }

  private async halt(user: string, onAccepted: () => void): Promise<void> {
    const begun = performance.now();
    try {
      const start = this.starting.get(user);
      if (start) {
        onAccepted(); // the start is in Redis, so the model shows it pending until this is over
        start.abort.abort();
        await start.done.catch(() => undefined);
      }
      if (await this.deps.records.get(user)) await this.deps.records.update(user, { state: 'stopping' });
      onAccepted();
      await this.ledger.end(user, { container: 'stop' });
    } catch (err) {
      this.deps.metrics?.stopDuration.observe({ status: 'failure' }, secondsSince(begun));
      throw err;
    }
    this.deps.metrics?.stopDuration.observe({ status: 'success' }, secondsSince(begun));
    this.deps.log.info('server stopped', { user });
  }

  /** The engine says one of our containers exited; it matters only if it is the one routed to. */
  async containerExited(user: string, container: string, reason: string): Promise<void> {
    if (this.busy(user)) return;
    const record = await this.deps.records.get(user);
    // A start or stop may have begun while the record was read: it is then theirs to settle.
    if (record?.state !== 'running' || record.container !== container || this.busy(user)) return;
    await this.ledger.end(user, { container: 'gone', lastError: `Your server stopped: ${reason}.` });
    this.deps.log.warn('server stopped by itself', { user, reason });
  }

  /**
   * Attaches to `user`'s running container and routes it: finishing a start an earlier hub left
   * behind, or adopting a server Redis forgot. Tracked as a start, so requests meanwhile wait.
   */
  private adopt(user: string, found: ServerContainer): Promise<void> {
    const { spawner, records, activity, log } = this.deps;
    return this.track(user, async () => {
      this.progress.begin(user);
      this.progress.report(user, { stage: 'answering', message: 'Reconnecting to your running server' });
      try {
        const server = await spawner.attach(user);
        await this.ledger.route(user, server);
        const record = await records.get(user);
        const started = record?.started ?? found.created;
        await records.put({
          user,
          state: 'running',
          image: record?.image ?? found.image,
          started,
          container: server.container,
          node: server.node,
          ...accountFrom(record, server.container),
        });
        await activity.touch(user);
        this.progress.ready(user, `/user/${user}/`);
        log.info('adopted a running server', { user, container: server.container.slice(0, 12) });
      } catch (err) {
        const message = err instanceof BerthError ? err.message : 'Your server could not be reconnected.';
        log.warn('could not adopt a server; stopping it', { user, err });
        await this.ledger.end(user, { container: 'stop-if-possible', lastError: message });
        this.progress.failed(user, message);
      }
    });
  }

  /**
   * Makes Redis agree with the engine, at start and then every HUB_POLL_INTERVAL: servers that
   * no longer run lose their route (and their owner is told why), a start or stop an earlier hub
   * left half-done is finished, and running containers Redis does not know are adopted.
   */
  async reconcile(): Promise<void> {
    const { spawner, records, routes } = this.deps;
    const [containers, recorded, routeList] = await Promise.all([spawner.list(), records.list(), routes.all()]);
    const fixes = planReconcile({ containers, records: recorded, routes: routeList, busy: (user) => this.busy(user) });
    const results = await Promise.allSettled(fixes.map((fix) => this.apply(fix)));
    for (const r of results)
      if (r.status === 'rejected') this.deps.log.warn('reconcile step failed', { err: r.reason });
  }

  private async apply(fix: Fix): Promise<unknown> {
    switch (fix.kind) {
      case 'finish-stop':
        return this.stop(fix.user);
      case 'ended':
        this.deps.log.warn('server stopped by itself', { user: fix.user, reason: fix.reason });
        return this.ledger.end(fix.user, { container: 'gone', lastError: `Your server stopped: ${fix.reason}.` });
      case 'adopt':
        return this.adopt(fix.user, fix.found);
      case 'stray':
        if (await this.deps.users.get(fix.user)) return this.adopt(fix.user, fix.found);
        this.deps.log.warn('stopping a server of a user who no longer exists', { user: fix.user });
        return this.ledger.end(fix.user, { container: 'stop' });
      case 'unroute':
        return this.ledger.unroute(fix.user);
    }
  }

  /** Follows the engine's events until the returned function is called. */
  watch(): () => void {
    return this.deps.spawner.watch((user, container, reason) => {
      this.containerExited(user, container, reason).catch((err) =>
        this.deps.log.warn('could not handle a server exit', { user, err }),
      );
    });
  }

  async view(user: string): Promise<ServerView> {
    const record = await this.deps.records.get(user);
    const start = this.starting.get(user);
    // A start this hub runs is pending from the request on, before its record reaches Redis.
    if (!record && start)
      return { state: 'starting', record: { user, state: 'starting', image: '', started: start.since } };
    if (!record) return { state: 'stopped', lastError: await this.deps.users.lastError(user) };
    const at = await this.deps.activity.get(user);
    return { state: record.state, record, lastActivity: at === undefined ? undefined : new Date(at).toISOString() };
  }
}
