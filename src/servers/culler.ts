/**
 * The idle culler: stops servers without traffic for longer than HUB_IDLE_TIMEOUT, as
 * jupyterhub-idle-culler does, but inside the hub and from the activity the proxy records.
 */
import type { Logger } from '../log';
import type { ActivityStore } from '../store/activity';
import type { ServerStore } from '../store/servers';
import type { Servers } from './servers';

export interface CullerDeps {
  servers: Pick<Servers, 'stop'>;
  activity: ActivityStore;
  records: ServerStore;
  log: Logger;
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
    deps.log.info('stopping an idle server', { user, idleSeconds: idleMs / 1000 });
    await deps.servers.stop(user);
    culled.push(user);
  }
  return culled;
}
