/**
 * The parts of fair use a hub opens beside its server lifecycle: the usage ledger and its
 * accounting, the sampling loop that feeds both, the homes' sizes, and pausing idle servers.
 */
import type { Config } from '../config';
import type { Logger } from '../log';
import { Accountant } from '../servers/accounting';
import { HomeSizes } from '../servers/homes';
import { Pauser } from '../servers/pausing';
import { UsageSampler } from '../servers/usage';
import type { Spawner } from '../spawner/spawner';
import type { ActivityStore } from '../store/activity';
import type { GroupStore } from '../store/groups';
import type { RedisClient } from '../store/redis';
import type { RouteStore } from '../store/routes';
import type { ServerStore } from '../store/servers';
import { UsageStore } from '../store/usage';

export interface FairUse {
  /** What running servers use, sampled every HUB_USAGE_INTERVAL. */
  usage: UsageSampler;
  /** The usage ledger. */
  ledger: UsageStore;
  /** Moves each server's account on; the lifecycle closes it when the server ends. */
  accounts: Accountant;
  /** The homes' sizes, as last measured. */
  homes: HomeSizes;
  /** Pausing idle servers and resuming them (HUB_PAUSE_AFTER). */
  pauser: Pauser;
}

export interface FairUseParts {
  redis: RedisClient;
  spawner: Spawner;
  records: ServerStore;
  routes: RouteStore;
  groups: GroupStore;
  activity: ActivityStore;
  log: Logger;
}

export function openFairUse(config: Config, parts: FairUseParts): FairUse {
  const { redis, spawner, records, routes, groups, activity, log } = parts;
  const ledger = new UsageStore(redis, config.usageRetention);
  const accounts = new Accountant({ store: ledger, records, spawner, groups, log });
  return {
    ledger,
    accounts,
    usage: new UsageSampler({ spawner, records, accounts, log }),
    homes: new HomeSizes(spawner),
    pauser: new Pauser({ spawner, routes, records, activity, log }),
  };
}
