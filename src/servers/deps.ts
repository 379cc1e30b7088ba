/**
 * What the server lifecycle is built from, and what it tells of a server: the engine and the
 * catalogue by their interfaces (so other engines slot in), the stores, and its limits.
 */
import type { Catalogue } from '../catalogue/catalogue';
import type { Logger } from '../log';
import type { Spawner } from '../spawner/spawner';
import type { ActivityStore } from '../store/activity';
import type { DatabaseSecretStore } from '../store/database-secrets';
import type { GroupStore } from '../store/groups';
import type { RouteStore } from '../store/routes';
import type { ServerRecord, ServerStore } from '../store/servers';
import type { TokenStore } from '../store/tokens';
import type { UsageStore } from '../store/usage';
import type { UserStore } from '../store/users';
import type { Accountant } from './accounting';
import type { HomeSizes } from './homes';
import type { ServerMetrics } from './ledger';

export interface ServersDeps {
  spawner: Spawner;
  catalogue: Catalogue;
  routes: RouteStore;
  records: ServerStore;
  /** Where each server's own hub API token lives while it runs. */
  tokens: TokenStore;
  users: UserStore;
  /** Whose properties shape their members' servers (none: no group shapes anything). */
  groups?: GroupStore;
  /** The passwords of groups' databases (none: no group has one). */
  databaseSecrets?: DatabaseSecretStore;
  activity: ActivityStore;
  /** The usage ledger: counts each server from when it runs until it ends. */
  accounts?: Accountant;
  log: Logger;
  /** Starts that run at once; the rest wait in line. */
  concurrentSpawnLimit: number;
  /** Servers that may run or start at once (0: no limit); beyond it a start is a 429. */
  activeServerLimit: number;
  /** The usage ledger and the homes' sizes, and the hub's quotas on them (limits.ts). */
  ledger?: UsageStore;
  homes?: HomeSizes;
  hoursPerWeek?: number;
  homeWarn?: number;
  homeLimit?: number;
  maxAgeMs?: number;
  /** How long a start or stop request waits before answering "pending" (JupyterHub: 10 s). */
  slowMs?: number;
  /** Where durations of starts, stops, polls and route changes are counted (metrics/Metrics fits). */
  metrics?: ServerMetrics;
}

export type ServerView =
  | { state: 'stopped'; lastError?: string }
  | { state: 'starting' | 'running' | 'stopping'; record: ServerRecord; lastActivity?: string };
