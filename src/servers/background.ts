/**
 * The lifecycle's background work while the hub serves: following the engine's events,
 * reconciling Redis with the engine every HUB_POLL_INTERVAL, and culling idle servers.
 * `startBackground(deps, timing)` starts it all and returns the function that stops it.
 */
import type { Logger } from '../log';
import { type CullerDeps, cullIdle, cullInterval } from './culler';
import type { Servers } from './servers';

export interface BackgroundDeps extends CullerDeps {
  servers: Servers;
  log: Logger;
}

export interface BackgroundTiming {
  /** HUB_POLL_INTERVAL, in ms. */
  pollIntervalMs: number;
  /** HUB_IDLE_TIMEOUT, in ms; 0: no culling. */
  idleTimeoutMs: number;
}

/** Runs `task` every `ms`, never two at once; errors are logged, not thrown. */
function every(ms: number, name: string, log: Logger, task: () => Promise<unknown>): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    task()
      .catch((err) => log.warn(`${name} failed`, { err }))
      .finally(() => (running = false));
  }, ms);
  timer.unref();
  return () => clearInterval(timer);
}

export function startBackground(deps: BackgroundDeps, timing: BackgroundTiming): () => void {
  const { servers, log } = deps;
  const stops = [servers.watch(), every(timing.pollIntervalMs, 'reconcile', log, () => servers.reconcile())];
  const idleMs = timing.idleTimeoutMs;
  if (idleMs > 0) stops.push(every(cullInterval(idleMs), 'idle culler', log, () => cullIdle(deps, idleMs)));
  return () => {
    for (const stop of stops) stop();
  };
}
