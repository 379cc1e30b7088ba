/**
 * Prometheus metrics at /hub/metrics, through prom-client: its default process and Node metrics
 * (resident memory, heap, event-loop lag), JupyterHub's metrics under JupyterHub's names and
 * label values, so its dashboards work, and Berth's own under `berth_`. Every status label is
 * there from the start (at 0), as JupyterHub does, so a rate over it is never missing.
 *
 *   const metrics = new Metrics(() => readings());
 *   metrics.spawnDuration.observe({ status: 'success' }, seconds);
 *   ctx.body = await metrics.render();
 */
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** What the gauges show, read from the hub's state when metrics are scraped. */
export interface HubReadings {
  totalUsers: number;
  runningServers: number;
  /** Servers starting or stopping. */
  pendingServers: number;
  /** Users with server activity in the last 24 hours, 7 days and 30 days. */
  activeUsers: { '24h': number; '7d': number; '30d': number };
  /** Starts waiting in line for a spawn slot (HUB_CONCURRENT_SPAWN_LIMIT). */
  queuedSpawns: number;
  /** What each running server uses, as last sampled. */
  servers: Array<{ user: string; memoryBytes: number; cpuSeconds: number }>;
}

/** JupyterHub's ServerSpawnStatus. */
export const SPAWN_STATUSES = ['success', 'failure', 'already-pending', 'throttled', 'too-many-users'] as const;
/** JupyterHub's ServerStopStatus, ProxyAddStatus and ProxyDeleteStatus. */
const DONE_STATUSES = ['success', 'failure'] as const;
/** JupyterHub's ServerPollStatus. */
const POLL_STATUSES = ['running', 'stopped'] as const;

const SPAWN_BUCKETS = [0.5, 1, 2.5, 5, 10, 15, 30, 60, 120, 180, 300, 600];
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const QUICK_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

export class Metrics {
  readonly registry = new Registry();

  readonly requestDuration = this.histogram(
    'jupyterhub_request_duration_seconds',
    'request duration for all HTTP requests',
    ['method', 'handler', 'code'],
    REQUEST_BUCKETS,
  );
  readonly spawnDuration = this.histogram(
    'jupyterhub_server_spawn_duration_seconds',
    'time taken for server spawning operation',
    ['status'],
    SPAWN_BUCKETS,
  );
  readonly stopDuration = this.histogram(
    'jupyterhub_server_stop_seconds',
    'time taken for server stopping operation',
    ['status'],
    SPAWN_BUCKETS,
  );
  readonly pollDuration = this.histogram(
    'jupyterhub_server_poll_duration_seconds',
    'time taken to poll if server is running',
    ['status'],
    QUICK_BUCKETS,
  );
  readonly routeAddDuration = this.histogram(
    'jupyterhub_proxy_add_duration_seconds',
    'duration for adding user routes to proxy',
    ['status'],
    QUICK_BUCKETS,
  );
  readonly routeDeleteDuration = this.histogram(
    'jupyterhub_proxy_delete_duration_seconds',
    'duration for deleting user routes from proxy',
    ['status'],
    QUICK_BUCKETS,
  );
  readonly startupDuration = this.histogram(
    'jupyterhub_hub_startup_duration_seconds',
    'time taken for hub to start',
    [],
    SPAWN_BUCKETS,
  );

  private readonly totalUsers = this.gauge('jupyterhub_total_users', 'total number of users', []);
  private readonly runningServers = this.gauge(
    'jupyterhub_running_servers',
    'the number of user servers currently running',
    [],
  );
  private readonly activeUsers = this.gauge(
    'jupyterhub_active_users',
    'number of users who were active in the given time period',
    ['period'],
  );
  private readonly pendingServers = this.gauge('berth_pending_servers', 'user servers starting or stopping', []);
  private readonly queuedSpawns = this.gauge(
    'berth_spawns_queued',
    'starts waiting in line for a spawn slot (HUB_CONCURRENT_SPAWN_LIMIT)',
    [],
  );

  private readonly serverMemory = this.gauge('berth_server_memory_bytes', "a running server's memory in use", ['user']);
  private readonly serverCpu = this.gauge(
    'berth_server_cpu_seconds_total',
    'CPU time a running server has used since it started',
    ['user'],
  );

  constructor(private readonly read: () => Promise<HubReadings>) {
    collectDefaultMetrics({ register: this.registry });
    for (const status of SPAWN_STATUSES) this.spawnDuration.zero({ status });
    for (const status of POLL_STATUSES) this.pollDuration.zero({ status });
    for (const status of DONE_STATUSES) {
      for (const histogram of [this.stopDuration, this.routeAddDuration, this.routeDeleteDuration])
        histogram.zero({ status });
    }
  }

  /** The Content-Type of `render()`'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text exposition, with the gauges read now. */
  async render(): Promise<string> {
    const now = await this.read();
    this.totalUsers.set(now.totalUsers);
    this.runningServers.set(now.runningServers);
    this.pendingServers.set(now.pendingServers);
    this.queuedSpawns.set(now.queuedSpawns);
    for (const [period, count] of Object.entries(now.activeUsers)) this.activeUsers.set({ period }, count);
    // Only servers that run now: a stopped one's series ends.
    this.serverMemory.reset();
    this.serverCpu.reset();
    for (const s of now.servers) {
      this.serverMemory.set({ user: s.user }, s.memoryBytes);
      this.serverCpu.set({ user: s.user }, s.cpuSeconds);
    }
    return this.registry.metrics();
  }

  private histogram<L extends string>(name: string, help: string, labelNames: L[], buckets: number[]): Histogram<L> {
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }

  private gauge<L extends string>(name: string, help: string, labelNames: L[]): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }
}

/** Seconds since `begun` (a `performance.now()` reading), for a histogram. */
export function secondsSince(begun: number): number {
  return (performance.now() - begun) / 1000;
}
