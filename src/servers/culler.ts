/**
 * The idle culler: stops servers without traffic for longer than HUB_IDLE_TIMEOUT, as
 * jupyterhub-idle-culler does, but inside the hub and from the activity the proxy records. A
 * server whose kernel is running a cell is not idle, whatever the traffic says: it is asked first
 * (Berth's own images; one that does not answer is culled, after its idle timeout as before).
 */
import type { Logger } from '../log';
import type { ActivityStore } from '../store/activity';
import type { RouteStore } from '../store/routes';
import type { ServerStore } from '../store/servers';
import type { Servers } from './servers';

export interface CullerDeps {
  servers: Pick<Servers, 'stop'>;
  activity: ActivityStore;
  records: ServerStore;
  /** Where each server is, to ask it whether a kernel is busy. */
  routes?: Pick<RouteStore, 'get'>;
  log: Logger;
}

const ASK_TIMEOUT_MS = 3000;

/** Whether `user`'s server says one of its kernels is busy (or starting); false when it cannot be asked or does not answer. */
async function kernelBusy(routes: Pick<RouteStore, 'get'>, user: string): Promise<boolean> {
  const route = await routes.get(user);
  // Berth's images let in what carries the route's token; stock images would need an OAuth token.
  if (!route?.token) return false;
  try {
    const res = await fetch(`${route.target}/user/${user}/api/kernels`, {
      headers: { authorization: `token ${route.token}` },
      signal: AbortSignal.timeout(ASK_TIMEOUT_MS),
    });
    const kernels = res.ok ? ((await res.json()) as Array<{ execution_state?: string }>) : [];
    // A kernel still starting is about to run what it was started for.
    return kernels.some((k) => k.execution_state === 'busy' || k.execution_state === 'starting');
  } catch {
    return false;
  }
}

/** How often the culler looks: a quarter of the timeout, between 1 s and a minute. */
export function cullInterval(idleMs: number): number {
  return Math.min(60_000, Math.max(1000, Math.floor(idleMs / 4)));
}

/** Stops every running server idle for longer than `idleMs`; resolves who was stopped. */
export async function cullIdle(deps: CullerDeps, idleMs: number): Promise<string[]> {
  const idle = await deps.activity.idleSince(Date.now() - idleMs);
  const culled: string[] = [];
  for (const user of idle) {
    const record = await deps.records.get(user);
    if (record?.state !== 'running') continue;
    if (deps.routes && (await kernelBusy(deps.routes, user))) {
      deps.log.info('sparing an idle server: a kernel is running a cell', { user });
      continue;
    }
    deps.log.info('stopping an idle server', { user, idleSeconds: idleMs / 1000 });
    await deps.servers.stop(user);
    culled.push(user);
  }
  return culled;
}
