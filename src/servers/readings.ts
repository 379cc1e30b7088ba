/**
 * What the metrics' gauges show, read from the stores when metrics are scraped: users, servers
 * running and pending, users active over three periods, starts waiting in line, and what each
 * running server uses (the usage sampler's last reading).
 */
import type { HubReadings } from '../metrics/metrics';
import type { ActivityStore } from '../store/activity';
import type { ServerStore } from '../store/servers';
import type { UserStore } from '../store/users';
import type { ServerUsage } from './usage';

const DAY_MS = 24 * 3600 * 1000;

export interface ReadingsDeps {
  users: UserStore;
  records: ServerStore;
  activity: ActivityStore;
  /** Starts waiting in line now (Servers.queued). */
  queued: () => number;
  /** What each running server uses, as last sampled. */
  usage?: () => Map<string, ServerUsage>;
}

export async function readHub(deps: ReadingsDeps): Promise<HubReadings> {
  const now = Date.now();
  const [totalUsers, all, day, week, month] = await Promise.all([
    deps.users.count(),
    deps.records.list(),
    deps.activity.countSince(now - DAY_MS),
    deps.activity.countSince(now - 7 * DAY_MS),
    deps.activity.countSince(now - 30 * DAY_MS),
  ]);
  const runningServers = all.filter((r) => r.state === 'running').length;
  return {
    totalUsers,
    runningServers,
    pendingServers: all.length - runningServers,
    activeUsers: { '24h': day, '7d': week, '30d': month },
    queuedSpawns: deps.queued(),
    servers: [...(deps.usage?.() ?? new Map()).entries()].map(([user, u]) => ({
      user,
      memoryBytes: u.memoryBytes,
      cpuSeconds: u.cpuSeconds,
    })),
  };
}
