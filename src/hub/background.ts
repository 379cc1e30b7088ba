/**
 * The hub's background work while it serves: following Docker's events, reconciling Redis with
 * Docker every HUB_POLL_INTERVAL, culling idle servers, and building missing images.
 * `startBackground(rt)` starts it all and returns the function that stops it.
 */
import type { Runtime } from '../runtime';
import { cullIdle, cullInterval } from './culler';

/** Runs `task` every `ms`, never two at once; errors are logged, not thrown. */
function every(ms: number, name: string, rt: Runtime, task: () => Promise<unknown>): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    task()
      .catch((err) => rt.log.warn(`${name} failed`, { err }))
      .finally(() => (running = false));
  }, ms);
  timer.unref();
  return () => clearInterval(timer);
}

export function startBackground(rt: Runtime): () => void {
  const stops = [rt.servers.watch(), every(rt.config.pollInterval, 'reconcile', rt, () => rt.servers.reconcile())];
  if (rt.config.idleTimeout > 0) {
    stops.push(every(cullInterval(rt.config.idleTimeout), 'idle culler', rt, () => cullIdle(rt, rt.config.idleTimeout)));
  }
  rt.builder.buildOutdated().catch((err) => rt.log.error('building images failed; starts that need them will try again', { err }));
  return () => stops.forEach((stop) => stop());
}
