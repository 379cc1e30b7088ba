/**
 * The lifecycle's background work while the hub serves: following the engine's events,
 * reconciling Redis with the engine every HUB_POLL_INTERVAL, culling idle servers, and running
 * batch jobs (taking up those a previous hub left).
 * `startBackground(deps, timing)` starts it all and returns the function that stops it.
 */
import type { Jobs } from '../jobs/jobs';
import type { Logger } from '../log';
import { type CullerDeps, cullIdle, cullInterval } from './culler';
import type { Servers } from './servers';
import type { UsageSampler } from './usage';

export interface BackgroundDeps extends CullerDeps {
  servers: Servers;
  /** Batch jobs: the ones a previous hub left are followed again, then the queue and schedules run. */
  jobs?: Pick<Jobs, 'resume' | 'startBackground'>;
  /** What running servers use, read every HUB_USAGE_INTERVAL. */
  usage?: Pick<UsageSampler, 'start'>;
  log: Logger;
}

export interface BackgroundTiming {
  /** HUB_POLL_INTERVAL, in ms. */
  pollIntervalMs: number;
  /** HUB_IDLE_TIMEOUT, in ms; 0: no culling. */
  idleTimeoutMs: number;
  /** HUB_USAGE_INTERVAL, in ms; 0: no sampling. */
  usageIntervalMs?: number;
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
  if (deps.usage) stops.push(deps.usage.start(timing.usageIntervalMs ?? 0));
  const jobs = deps.jobs;
  if (jobs) {
    // The queue runs once the jobs a previous hub left are taken up: nothing new starts beside them unseen.
    let stopJobs: (() => void) | undefined;
    let stopped = false;
    jobs
      .resume()
      .catch((err: unknown) => log.error('could not take up the running jobs again', { err }))
      .finally(() => {
        if (!stopped) stopJobs = jobs.startBackground();
      });
    stops.push(() => {
      stopped = true;
      stopJobs?.();
    });
  }
  return () => {
    for (const stop of stops) stop();
  };
}
