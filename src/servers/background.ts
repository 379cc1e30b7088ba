/**
 * The lifecycle's background work while the hub serves: following the engine's events,
 * reconciling Redis with the engine every HUB_POLL_INTERVAL, pausing and culling idle servers, and running
 * batch jobs (taking up those a previous hub left).
 * `startBackground(deps, timing)` starts it all and returns the function that stops it.
 */
import type { Jobs } from '../jobs/jobs';
import type { Logger } from '../log';
import type { ClassStarts } from './class-starts';
import { type CullerDeps, cull, cullInterval, culling } from './culler';
import type { HomeSizes } from './homes';
import type { Pauser } from './pausing';
import type { Servers } from './servers';
import type { UsageSampler } from './usage';

export interface BackgroundDeps extends CullerDeps {
  servers: Servers;
  /** Batch jobs: the ones a previous hub left are followed again, then the queue and schedules run. */
  jobs?: Pick<Jobs, 'resume' | 'startBackground'>;
  /** What running servers use, read every HUB_USAGE_INTERVAL. */
  usage?: Pick<UsageSampler, 'start'>;
  pauser?: Pick<Pauser, 'pause' | 'possible' | 'resumeActive'>;
  /** Groups' scheduled starts, looked at every few seconds. */
  classStarts?: Pick<ClassStarts, 'run'>;
  /** The homes' sizes, measured at start and every HUB_HOME_SIZE_INTERVAL. */
  homes?: Pick<HomeSizes, 'measure'>;
  log: Logger;
}

export interface BackgroundTiming {
  /** HUB_POLL_INTERVAL, in ms. */
  pollIntervalMs: number;
  /** HUB_IDLE_TIMEOUT, in ms; 0: no culling. */
  idleTimeoutMs: number;
  /** HUB_PAUSE_AFTER and HUB_MAX_AGE, in ms; 0: none. */
  pauseAfterMs?: number;
  maxAgeMs?: number;
  /** HUB_USAGE_INTERVAL, in ms; 0: no sampling. */
  usageIntervalMs?: number;
  /** HUB_HOME_SIZE_INTERVAL, in ms; 0: never measured. */
  homeSizeIntervalMs?: number;
}

const CLASS_START_CHECK_MS = 5000;

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
  const times = { idleMs: timing.idleTimeoutMs, pauseMs: timing.pauseAfterMs, maxAgeMs: timing.maxAgeMs };
  if (culling(times)) stops.push(every(cullInterval(times), 'idle culler', log, () => cull(deps, times)));
  const classStarts = deps.classStarts;
  if (classStarts) stops.push(every(CLASS_START_CHECK_MS, 'class starts', log, () => classStarts.run()));
  const pauser = deps.pauser;
  // Another proxy's request to a paused server waits in its socket until this sees its activity.
  if (timing.pauseAfterMs && pauser?.possible)
    stops.push(every(1000, 'resuming paused servers', log, () => pauser.resumeActive()));
  if (deps.usage) stops.push(deps.usage.start(timing.usageIntervalMs ?? 0));
  const homes = deps.homes;
  if (homes && timing.homeSizeIntervalMs) {
    const measure = () => homes.measure();
    measure().catch((err: unknown) => log.warn('home sizes failed', { err }));
    stops.push(every(timing.homeSizeIntervalMs, 'home sizes', log, measure));
  }
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
