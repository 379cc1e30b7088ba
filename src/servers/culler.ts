/**
 * The idle culler, as jupyterhub-idle-culler does it but inside the hub and from the activity the
 * proxy records: a server without traffic for HUB_PAUSE_AFTER is paused (its next request resumes
 * it), one without traffic for HUB_IDLE_TIMEOUT is stopped, and one older than HUB_MAX_AGE is
 * stopped whatever it does, its owner told why. A server whose kernel is running a cell is not
 * idle, whatever the traffic says: it is asked first (Berth's images with the route's token, stock
 * JupyterHub images with a short-lived token of the owner's; one that does not answer counts as
 * idle, after the same time as before).
 */
import { serverClient } from '../auth/single-user';
import type { Logger } from '../log';
import type { ActivityStore } from '../store/activity';
import type { RouteStore } from '../store/routes';
import type { ServerStore } from '../store/servers';
import type { TokenStore } from '../store/tokens';
import type { UserStore } from '../store/users';
import { stopsAt } from './limits';
import type { Pauser } from './pausing';
import type { Servers } from './servers';

export interface CullerDeps {
  servers: Pick<Servers, 'stop'>;
  activity: ActivityStore;
  records: ServerStore;
  /** Where each server is, to ask it whether a kernel is busy, and tokens to ask a stock image with. */
  routes?: Pick<RouteStore, 'get'>;
  tokens?: Pick<TokenStore, 'create' | 'delete'>;
  /** Pauses idle servers, where the engine can. */
  pauser?: Pick<Pauser, 'pause' | 'possible'>;
  /** Tells the owner of a server stopped at its maximum age why it stopped. */
  users?: Pick<UserStore, 'setLastError'>;
  log: Logger;
}

/** HUB_IDLE_TIMEOUT, HUB_PAUSE_AFTER and HUB_MAX_AGE in ms; 0: off. */
export interface CullTimes {
  idleMs: number;
  pauseMs?: number;
  maxAgeMs?: number;
}

const ASK_TIMEOUT_MS = 3000;

/** A kernel as its server lists it (`GET /api/kernels`). */
interface KernelState {
  execution_state?: string;
  last_activity?: string;
}

const FRESH_KERNEL_MS = 60_000;

/**
 * Whether a kernel is running a cell. A new kernel says 'starting' until its server hears from it:
 * Berth's images settle that within seconds (images/python/berth_kernels.py), other servers may say
 * it for ever (a kernel no client spoke to, or a watch that missed its messages), so it counts only
 * in the kernel's first minute, while whoever started it is about to use it.
 */
function running(kernel: KernelState, now: number): boolean {
  if (kernel.execution_state === 'busy') return true;
  const since = Date.parse(kernel.last_activity ?? '');
  return kernel.execution_state === 'starting' && now - since < FRESH_KERNEL_MS;
}

/** The kernels of `user`'s server, as it reports them; [] when it cannot be asked or does not answer. */
async function kernelsOf(deps: CullerDeps, user: string): Promise<KernelState[]> {
  const route = await deps.routes?.get(user);
  if (!route) return [];
  // Berth's images let in the route's token; a stock image, a token of its owner's for their server
  // alone, which it checks with the hub, living a minute and deleted after the question.
  const minted = route.token
    ? undefined
    : await deps.tokens?.create(user, {
        note: 'The idle culler asks whether a kernel is busy',
        scopes: [`access:servers!server=${user}/`],
        expiresInSeconds: 60,
        client: serverClient(user),
      });
  const token = route.token || minted?.token;
  if (!token) return [];
  try {
    const res = await fetch(`${route.target}/user/${user}/api/kernels`, {
      headers: { authorization: `token ${token}` },
      signal: AbortSignal.timeout(ASK_TIMEOUT_MS),
    });
    return res.ok ? ((await res.json()) as KernelState[]) : [];
  } catch {
    return [];
  } finally {
    if (minted) await deps.tokens?.delete(user, minted.record.id);
  }
}

function duration(ms: number): string {
  if (ms >= 3_600_000) return `${Number((ms / 3_600_000).toFixed(1))} hours`;
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} minutes` : `${Math.round(ms / 1000)} seconds`;
}

const positive = (times: CullTimes) => [times.idleMs, times.pauseMs ?? 0, times.maxAgeMs ?? 0].filter((ms) => ms > 0);

/** Whether anything is to be culled at all. */
export function culling(times: CullTimes): boolean {
  return positive(times).length > 0;
}

/** How often the culler looks: a quarter of its shortest time, between 1 s and a minute. */
export function cullInterval(times: CullTimes): number {
  return Math.min(60_000, Math.max(1000, Math.floor(Math.min(...positive(times)) / 4)));
}

/** One round: stops servers past their maximum age or idle timeout, pauses those idle past the pause; resolves who was stopped. */
export async function cull(deps: CullerDeps, times: CullTimes): Promise<string[]> {
  const now = Date.now();
  const stopped: string[] = [];
  for (const record of await deps.records.list()) {
    const end = stopsAt(record, times.maxAgeMs);
    if (record.state !== 'running' || end === undefined || end > now) continue;
    deps.log.info('stopping a server at its maximum age', { user: record.user, maxAgeMs: times.maxAgeMs });
    await deps.servers.stop(record.user);
    const age = duration(times.maxAgeMs ?? 0);
    await deps.users?.setLastError(
      record.user,
      `Your server was stopped after ${age}, the longest this hub runs one (HUB_MAX_AGE).`,
    );
    stopped.push(record.user);
  }
  const quietest = Math.min(...[times.idleMs, times.pauseMs ?? 0].filter((ms) => ms > 0));
  if (!Number.isFinite(quietest)) return stopped;
  for (const user of await deps.activity.idleSince(now - quietest)) {
    const record = await deps.records.get(user);
    if (record?.state !== 'running' || stopped.includes(user)) continue;
    const idleFor = now - ((await deps.activity.get(user)) ?? now);
    // A paused server is frozen: no cell runs there, and it could not answer.
    const kernels = record.paused === undefined ? await kernelsOf(deps, user) : [];
    if (kernels.some((k) => running(k, now))) {
      const states = kernels.map((k) => `${k.execution_state} since ${k.last_activity}`);
      deps.log.info('sparing an idle server: a kernel is running a cell', { user, kernels: states });
      continue;
    }
    if (times.idleMs > 0 && idleFor > times.idleMs) {
      deps.log.info('stopping an idle server', { user, idleSeconds: times.idleMs / 1000 });
      await deps.servers.stop(user);
      stopped.push(user);
    } else if (times.pauseMs && idleFor > times.pauseMs && record.paused === undefined && deps.pauser?.possible) {
      // Not awaited: a freeze the engine is slow to finish must not hold up the culling of others.
      deps.pauser
        .pause(user, now - times.pauseMs)
        .catch((err: unknown) => deps.log.warn('could not pause an idle server', { user, err }));
    }
  }
  return stopped;
}
