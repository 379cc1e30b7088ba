/**
 * The server lifecycle on fakes: a Servers with a named fake spawner and the fake catalogue,
 * over a throwaway Redis and the real stores. No Docker: what it tests runs in milliseconds.
 * `fakeHub` puts the whole hub (pages and API) on top of it, listening on a loopback port.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { hashPassword } from '../../src/auth/password';
import { signInFromConfig } from '../../src/auth/sign-in';
import type { Catalogue } from '../../src/catalogue/catalogue';
import { loadConfig } from '../../src/config';
import { createHub, type HubDeps } from '../../src/hub/app';
import { Jobs } from '../../src/jobs/jobs';
import { type Logger, silentLogger } from '../../src/log';
import { Metrics } from '../../src/metrics/metrics';
import { ClassStarts } from '../../src/servers/class-starts';
import { readHub } from '../../src/servers/readings';
import { Servers, type ServersDeps } from '../../src/servers/servers';
import { ActivityStore } from '../../src/store/activity';
import { ClassStartStore } from '../../src/store/class-starts';
import { DatabaseSecretStore } from '../../src/store/database-secrets';
import { GroupStore } from '../../src/store/groups';
import { JobStore } from '../../src/store/jobs';
import { LoginFailureStore } from '../../src/store/login-failures';
import { OAuthCodeStore } from '../../src/store/oauth-codes';
import { RedisRouteStore } from '../../src/store/routes';
import { ServerStore } from '../../src/store/servers';
import { SessionStore } from '../../src/store/sessions';
import { TokenStore } from '../../src/store/tokens';
import { UsageStore } from '../../src/store/usage';
import { UserStore } from '../../src/store/users';
import { FakeCatalogue } from '../fakes/catalogue';
import type { FakeSpawner } from '../fakes/spawners';
import { FakeVolumes } from '../fakes/volumes';
import { SECRET } from './hub';
import { startRedis, type TestRedis } from './redis';

export interface Lifecycle extends HubDeps {
  servers: Servers;
  classStarts: ClassStarts;
  spawner: FakeSpawner;
  redis: TestRedis;
  close(): Promise<void>;
}

export type LifecycleOptions = Partial<
  Pick<ServersDeps, 'concurrentSpawnLimit' | 'activeServerLimit' | 'slowMs' | 'hoursPerWeek'>
> & {
  catalogue?: Catalogue;
  /** Where the hub and the lifecycle log; silent by default. */
  log?: Logger;
};

export async function lifecycle(spawner: FakeSpawner, opts: LifecycleOptions = {}): Promise<Lifecycle> {
  const redis = await startRedis();
  const client = redis.client();
  const users = new UserStore(client);
  const records = new ServerStore(client);
  const routes = new RedisRouteStore(client);
  const activity = new ActivityStore(client);
  const catalogue = opts.catalogue ?? new FakeCatalogue();
  const metrics: Metrics = new Metrics(() => readHub({ users, records, activity, queued: () => servers.queued }));
  const tokens = new TokenStore(client);
  const groups = new GroupStore(client);
  const databaseSecrets = new DatabaseSecretStore(client);
  const ledger = new UsageStore(client, 30);
  const servers: Servers = new Servers({
    spawner,
    tokens,
    catalogue,
    routes,
    records,
    users,
    groups,
    databaseSecrets,
    activity,
    metrics,
    log: opts.log ?? silentLogger,
    concurrentSpawnLimit: opts.concurrentSpawnLimit ?? 8,
    activeServerLimit: opts.activeServerLimit ?? 0,
    slowMs: opts.slowMs ?? 5000,
    ledger,
    hoursPerWeek: opts.hoursPerWeek,
  });
  const sessions = new SessionStore(client);
  const log = opts.log ?? silentLogger;
  const classStarts = new ClassStarts({
    store: new ClassStartStore(client),
    ...{ groups, catalogue, servers, log, activeServerLimit: opts.activeServerLimit ?? 0 },
  });
  return {
    users,
    records,
    routes,
    activity,
    sessions,
    tokens,
    groups,
    loginFailures: new LoginFailureStore(client),
    oauthCodes: new OAuthCodeStore(client),
    servers,
    ledger,
    classStarts,
    // The fakes run no jobs (a job runs a real notebook in a container): the API answers 503.
    jobs: new Jobs({
      store: new JobStore(client, 3600_000),
      catalogue,
      users,
      groups,
      log,
      limits: { global: 2, perUser: 2, defaultTimeout: 3600, maxTimeout: 86400 },
    }),
    spawner,
    catalogue,
    volumes: new FakeVolumes(),
    databaseSecrets,
    metrics,
    // Local accounts only, as a hub with no sign-in settings has.
    signIn: signInFromConfig(
      loadConfig({ HUB_SECRET: SECRET }),
      { users, groups, records, sessions, tokens, log },
      log,
    ),
    health: { redis: () => client.ping(), engine: () => spawner.ping() },
    log,
    redis,
    close: () => redis.stop(),
  };
}

export interface FakeHub {
  url: string;
  life: Lifecycle;
  addUser(name: string, password: string, admin?: boolean): Promise<void>;
  close(): Promise<void>;
}

export interface FakeHubOptions extends LifecycleOptions {
  /** Cookie keys, newest first (HUB_SECRET). */
  keys?: string[];
  /** Served as over HTTPS (HUB_PUBLIC_URL https://): Secure cookies and HSTS. */
  https?: boolean;
  /** Another hub's lifecycle to share (its Redis): a restarted hub, say. */
  life?: Lifecycle;
}

/** The hub's pages and API over `lifecycle(spawner, opts)` (or `opts.life`), on a random loopback port. */
export async function fakeHub(spawner: FakeSpawner, opts: FakeHubOptions = {}): Promise<FakeHub> {
  const life = opts.life ?? (await lifecycle(spawner, opts));
  const config = {
    keys: opts.keys ?? [SECRET],
    deleteHome: 'keep' as const,
    secureCookies: opts.https === true,
    trustForwarded: false,
    adminAccess: false,
  };
  const server = http.createServer(createHub(config, life).callback());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    life,
    async addUser(name, password, admin = false) {
      await life.users.create(name, { admin, passwordHash: await hashPassword(password) });
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      if (!opts.life) await life.close();
    },
  };
}
