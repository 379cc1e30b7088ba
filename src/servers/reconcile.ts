/**
 * Reconciling what Redis records with what the engine runs, as a plan: given the containers,
 * the server records and the routes, which fixes make them agree. Planning is pure (the fast
 * tests read it directly); `Servers.reconcile` carries the fixes out.
 */
import type { ServerContainer } from '../spawner/spawner';
import type { Route } from '../store/routes';
import type { ServerRecord } from '../store/servers';

export type Fix =
  /** A stop an earlier hub left half-done: finish it. */
  | { kind: 'finish-stop'; user: string }
  /** Recorded, but its container no longer runs: the server ended, and its owner is told why. */
  | { kind: 'ended'; user: string; reason: string }
  /** Its container runs, but it is not (or not rightly) routed: attach to it and route it. */
  | { kind: 'adopt'; user: string; found: ServerContainer }
  /** A running container Redis does not know: adopt it if its user still exists, else stop it. */
  | { kind: 'stray'; user: string; found: ServerContainer }
  /** A route to nothing: remove it. */
  | { kind: 'unroute'; user: string };

export interface Observed {
  containers: ServerContainer[];
  records: ServerRecord[];
  routes: Route[];
  /** Users whose start or stop this hub is running now: left alone. */
  busy: (user: string) => boolean;
}

/** Why a recorded server whose container does not run has ended, in words for its owner. */
function endReason(record: ServerRecord, found: ServerContainer | undefined): string {
  if (record.state === 'starting') return 'its start was interrupted when the hub restarted; start it again';
  if (found && !found.status.running) return found.status.reason;
  return 'its container is gone';
}

export function planReconcile({ containers, records, routes, busy }: Observed): Fix[] {
  const byUser = new Map(containers.map((c) => [c.user, c]));
  const routed = new Set(routes.map((r) => r.user));
  const recorded = new Set(records.map((r) => r.user));
  const fixes: Fix[] = [];
  for (const record of records) {
    const { user } = record;
    if (busy(user)) continue;
    const found = byUser.get(user);
    if (record.state === 'stopping') fixes.push({ kind: 'finish-stop', user });
    else if (!found?.status.running) fixes.push({ kind: 'ended', user, reason: endReason(record, found) });
    else if (record.state === 'starting' || !routed.has(user) || record.container !== found.container) {
      fixes.push({ kind: 'adopt', user, found });
    }
  }
  for (const found of containers) {
    if (found.status.running && !recorded.has(found.user) && !busy(found.user))
      fixes.push({ kind: 'stray', user: found.user, found });
  }
  for (const { user } of routes) {
    if (!recorded.has(user) && !busy(user) && !byUser.get(user)?.status.running) fixes.push({ kind: 'unroute', user });
  }
  return fixes;
}
