/**
 * Starting and stopping users' servers: the one writer of server state and routes. It turns the
 * Spawner's work into JupyterHub's API answers (ready or still pending; stopped or still
 * stopping), lets one start per user run at a time and a limited number run at once (the rest
 * wait in line), reports each start's progress, and keeps Redis in step with Docker: the route
 * appears only once the server answers and goes before the container does; servers that die
 * are noticed (Docker events, and `reconcile` as a backstop), and a restarted hub adopts what
 * still runs.
 */
import type { Catalogue, CatalogueImage } from '../catalogue/catalogue';
import type { ImageBuilder } from '../catalogue/builder';
import { BerthError, badRequest } from '../errors';
import type { Logger } from '../log';
import type { ServerContainer, Spawner } from '../spawner/spawner';
import type { ActivityStore } from '../store/activity';
import type { RouteStore } from '../store/routes';
import type { ServerRecord, ServerStore } from '../store/servers';
import type { UserStore } from '../store/users';
import type { Metrics } from './metrics';
import { ProgressTracker } from './progress';
import { SpawnSlots } from './slots';

export interface ServersDeps {
  spawner: Spawner;
  catalogue: Catalogue;
  /** Builds catalogue images a start needs that are not built yet. */
  builder?: ImageBuilder;
  routes: RouteStore;
  state: ServerStore;
  users: UserStore;
  activity: ActivityStore;
  log: Logger;
  /** Starts that run at once; the rest wait in line. */
  concurrentSpawnLimit: number;
  /** Servers that may run or start at once (0: no limit); beyond it a start is a 429. */
  activeServerLimit: number;
  /** How long a start or stop request waits before answering "pending" (JupyterHub: 10 s). */
  slowMs?: number;
  /** Where start and stop durations are counted. */
  metrics?: Metrics;
}

export type ServerView =
  | { state: 'stopped'; lastError?: string }
  | { state: 'starting' | 'running' | 'stopping'; record: ServerRecord; lastActivity?: string };

const SLOW_MS = 10_000;
const RETRY_AFTER_SECONDS = 30;

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

/** A point that work reaches (its new state is in Redis), and the function that marks it reached. */
function milestone(): { reached: Promise<void>; reach: () => void } {
  let reach!: () => void;
  const reached = new Promise<void>((r) => (reach = r));
  return { reached, reach };
}

/** Share of the progress bar each phase of a start fills. */
const PHASE = { queued: 2, build: 5, container: 40, done: 95 } as const;

export class Servers {
  readonly progress = new ProgressTracker();
  private readonly slots: SpawnSlots;
  private readonly starting = new Map<string, { done: Promise<void>; abort: AbortController; since: string }>();
  private readonly stopping = new Map<string, { done: Promise<void>; recorded: Promise<void> }>();
  private readonly slowMs: number;

  constructor(private readonly deps: ServersDeps) {
    this.slowMs = deps.slowMs ?? SLOW_MS;
    this.slots = new SpawnSlots(deps.concurrentSpawnLimit);
  }

  private busy(user: string): boolean {
    return this.starting.has(user) || this.stopping.has(user);
  }

  /** Runs `work` as `user`'s start: registered before its first await, so a second request cannot start a second one. */
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
    if (this.starting.has(user)) return 'pending';
    if (this.stopping.has(user)) throw badRequest(`${user}'s server is stopping; try again in a moment.`);
    const limit = this.deps.activeServerLimit;
    if (limit > 0 && (await this.deps.state.count()) >= limit && !(await this.deps.state.get(user))) {
      throw new BerthError(429, `The hub is at its limit of ${limit} active servers (HUB_ACTIVE_SERVER_LIMIT); try again later.`, {}, { 'Retry-After': String(RETRY_AFTER_SECONDS) });
    }
    if (this.starting.has(user)) return 'pending'; // another request got in during the count
    const recorded = milestone();
    const done = this.track(user, (signal) => this.spawn(user, imageId, signal, recorded.reach));
    // Answer once the start is in Redis, so that the user's model shows it pending, or once it
    // failed before that (an image not in the catalogue is a 400, never a 202).
    await Promise.race([recorded.reached, done]);
    return (await settlesWithin(done, this.slowMs)) ? 'ready' : 'pending';
  }

  private async spawn(user: string, imageId: unknown, signal: AbortSignal, onRecorded: () => void): Promise<void> {
    const { spawner, catalogue, routes, state, users, activity, log } = this.deps;
    this.progress.begin(user);
    const report = (progress: number, message: string) => this.progress.report(user, { progress, message });
    const begun = Date.now();
    const seconds = () => (Date.now() - begun) / 1000;
    let recorded = false;
    try {
      const existing = await state.get(user);
      if (existing) {
        const status = await spawner.poll(user);
        if (status.running && existing.state === 'running') throw badRequest(`${user}'s server is already running.`);
        await this.forget(user, `found ${existing.state} but ${status.running ? 'not routed' : status.reason}`);
      }
      let image = await catalogue.resolve(imageId, await users.lastImage(user));
      await users.setLastImage(user, image.id);
      await users.setLastError(user, undefined);
      await state.put({ user, state: 'starting', image: image.id, started: new Date().toISOString() });
      recorded = true;
      onRecorded();
      report(1, 'Server requested');
      const release = await this.waitForSlot(user, signal);
      try {
        if (!image.built) image = await this.build(user, image);
        const server = await spawner.start({ user, image, signal }, (e) => report(PHASE.container + (e.progress / 100) * (PHASE.done - PHASE.container), e.message));
        await routes.set({ user, target: server.target, token: server.token });
        await state.update(user, { state: 'running', container: server.container });
      } finally {
        release();
      }
      await activity.reset(user);
      this.progress.ready(user, `/user/${user}/`);
      this.deps.metrics?.spawnDuration.observe({ status: 'success' }, seconds());
    } catch (err) {
      if (recorded) this.deps.metrics?.spawnDuration.observe({ status: 'failure' }, seconds());
      const message = err instanceof BerthError ? err.message : 'Your server could not be started; an admin can find why in the hub log.';
      if (recorded) await state.delete(user);
      if (!(err instanceof BerthError && err.status < 500 && !recorded)) await users.setLastError(user, message);
      this.progress.failed(user, message);
      log.error('start failed', { user, err });
      throw err instanceof BerthError ? err : new BerthError(500, message);
    }
  }

  /** A free spawn slot; while waiting, the pending page hears its place in line. */
  private async waitForSlot(user: string, signal: AbortSignal): Promise<() => void> {
    const onPosition = (ahead: number) =>
      this.progress.report(user, { progress: PHASE.queued, message: ahead === 0 ? 'Next in line to start' : `Waiting in line to start: ${ahead} ahead of you` });
    const cancelled = new Promise<never>((_, reject) => {
      const onAbort = () => {
        this.slots.abandon(onPosition);
        reject(new BerthError(409, 'The start was cancelled.'));
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    cancelled.catch(() => undefined);
    return Promise.race([this.slots.acquire(onPosition), cancelled]);
  }

  /** Builds a catalogue image the start needs, reporting Docker's build steps as progress. */
  private async build(user: string, image: CatalogueImage): Promise<CatalogueImage> {
    const builder = this.deps.builder;
    if (!builder?.source(image.id)) throw new BerthError(503, `Image '${image.id}' is not built yet; an admin can build it with \`berth images build ${image.id}\`.`);
    this.progress.report(user, { progress: PHASE.build, message: `Building the ${image.title} image (first start; this takes a few minutes)` });
    const span = PHASE.container - PHASE.build;
    await builder.ensure(image.id, {
      step: (message) => this.progress.report(user, { progress: PHASE.build, message }),
      detail: (line) => {
        const step = /^Step (\d+)\/(\d+) : (.*)$/.exec(line);
        if (step) this.progress.report(user, { progress: PHASE.build + (Number(step[1]) / Number(step[2])) * span, message: `Building ${image.title}: step ${step[1]} of ${step[2]}: ${step[3].slice(0, 100)}` });
      },
    });
    const built = await this.deps.catalogue.resolve(image.id);
    if (!built.built) throw new BerthError(500, `Image '${image.id}' did not build; an admin can find why in the hub log.`);
    return built;
  }

  /** Stops `user`'s server: 'stopped' when done within the wait, else 'stopping'. Safe when nothing runs. */
  async stop(user: string): Promise<'stopped' | 'stopping'> {
    let stop = this.stopping.get(user);
    if (!stop) {
      const recorded = milestone();
      const done = this.halt(user, recorded.reach);
      // As for a start: answer once the model shows the stop pending, or it is over.
      stop = { done, recorded: Promise.race([recorded.reached, done]) };
      this.stopping.set(user, stop);
      const forget = () => this.stopping.delete(user);
      done.then(forget, forget);
    }
    await stop.recorded;
    return (await settlesWithin(stop.done, this.slowMs)) ? 'stopped' : 'stopping';
  }

  private async halt(user: string, onRecorded: () => void): Promise<void> {
    const { spawner, routes, state, users, activity, log } = this.deps;
    const begun = Date.now();
    const start = this.starting.get(user);
    if (start) {
      onRecorded(); // the start is in Redis, so the model shows it pending until this is over
      start.abort.abort();
      await start.done.catch(() => undefined);
    }
    if (await state.get(user)) await state.update(user, { state: 'stopping' });
    onRecorded();
    await routes.delete(user); // traffic stops before the container does
    await spawner.stop(user);
    await state.delete(user);
    await activity.forget(user);
    await users.setLastError(user, undefined);
    this.deps.metrics?.stopDuration.observe({ status: 'success' }, (Date.now() - begun) / 1000);
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
   * A server stopped without being asked to (it crashed, ran out of memory, was killed, or its
   * container went): its route and state go, and its owner is told why.
   */
  private async died(user: string, reason: string): Promise<void> {
    if (this.busy(user)) return;
    const { routes, state, activity, users, log } = this.deps;
    await routes.delete(user);
    await state.delete(user);
    await activity.forget(user);
    await users.setLastError(user, `Your server stopped: ${reason}.`);
    log.warn('server stopped by itself', { user, reason });
  }

  /** Docker says one of our containers exited; it matters only if it is the one routed to. */
  async containerExited(user: string, container: string, reason: string): Promise<void> {
    if (this.busy(user)) return;
    const record = await this.deps.state.get(user);
    if (record?.state === 'running' && record.container === container) await this.died(user, reason);
  }

  /**
   * Attaches to `user`'s running container and routes it: finishing a start an earlier hub left
   * behind, or adopting a server Redis forgot. Tracked as a start, so requests meanwhile wait.
   */
  private resume(user: string, found: ServerContainer): Promise<void> {
    const { spawner, routes, state, activity, users, log } = this.deps;
    return this.track(user, async () => {
      this.progress.begin(user);
      this.progress.report(user, { progress: PHASE.done - 10, message: 'Reconnecting to your running server' });
      try {
        const server = await spawner.attach(user);
        await routes.set({ user, target: server.target, token: server.token });
        const record = await state.get(user);
        await state.put({ user, state: 'running', image: record?.image ?? found.image, started: record?.started ?? found.created, container: server.container });
        await activity.touch(user);
        this.progress.ready(user, `/user/${user}/`);
        log.info('adopted a running server', { user, container: server.container.slice(0, 12) });
      } catch (err) {
        const message = err instanceof BerthError ? err.message : 'Your server could not be reconnected.';
        log.warn('could not adopt a server; stopping it', { user, err });
        await routes.delete(user);
        await spawner.stop(user);
        await state.delete(user);
        await users.setLastError(user, message);
        this.progress.failed(user, message);
      }
    });
  }

  /**
   * Makes Redis agree with Docker, at start and then every HUB_POLL_INTERVAL: servers that no
   * longer run lose their route (and their owner is told why), a start or stop an earlier hub
   * left half-done is finished, and running containers Redis does not know are adopted.
   */
  async reconcile(): Promise<void> {
    const { spawner, routes, state, users } = this.deps;
    const [containers, records, routeList] = await Promise.all([spawner.list(), state.list(), routes.all()]);
    const byUser = new Map(containers.map((c) => [c.user, c]));
    const routed = new Map(routeList.map((r) => [r.user, r]));
    const tasks: Array<Promise<unknown>> = [];
    for (const record of records) {
      const { user } = record;
      if (this.busy(user)) continue;
      const found = byUser.get(user);
      const running = found?.status.running === true;
      if (record.state === 'stopping') tasks.push(this.stop(user));
      else if (!running) {
        const reason = record.state === 'starting' ? 'its start was interrupted when the hub restarted; start it again' : found && !found.status.running ? found.status.reason : 'its container is gone';
        tasks.push(this.died(user, reason));
      } else if (record.state === 'starting' || !routed.has(user) || record.container !== found!.container) tasks.push(this.resume(user, found!));
    }
    const recorded = new Set(records.map((r) => r.user));
    for (const found of containers) {
      if (!found.status.running || recorded.has(found.user) || this.busy(found.user)) continue;
      // A running server Redis does not know: adopt it, unless its user is gone.
      tasks.push((await users.get(found.user)) ? this.resume(found.user, found) : spawner.stop(found.user));
    }
    for (const route of routeList) if (!recorded.has(route.user) && !this.busy(route.user) && !byUser.get(route.user)?.status.running) tasks.push(routes.delete(route.user));
    const results = await Promise.allSettled(tasks);
    for (const r of results) if (r.status === 'rejected') this.deps.log.warn('reconcile step failed', { err: r.reason });
  }

  /** Follows Docker's events until the returned function is called. */
  watch(): () => void {
    return this.deps.spawner.watch((user, container, reason) => {
      this.containerExited(user, container, reason).catch((err) => this.deps.log.warn('could not handle a server exit', { user, err }));
    });
  }

  async view(user: string): Promise<ServerView> {
    const record = await this.deps.state.get(user);
    const start = this.starting.get(user);
    // A start this hub runs is pending from the request on, before its record reaches Redis.
    if (!record && start) return { state: 'starting', record: { user, state: 'starting', image: '', started: start.since } };
    if (!record) return { state: 'stopped', lastError: await this.deps.users.lastError(user) };
    const at = await this.deps.activity.get(user);
    return { state: record.state, record, lastActivity: at === undefined ? undefined : new Date(at).toISOString() };
  }
}
