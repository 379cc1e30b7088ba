/**
 * Opening everything the hub and the CLI work with, from a Config: Redis (REDIS_URL, or the
 * embedded server), Docker, the stores, the catalogue, the spawner and the server manager.
 * `close()` releases all of it, the embedded Redis last.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type SignIn, signInFromConfig } from '../auth/sign-in';
import { CATALOGUE_FILE } from '../catalogue/build';
import { ImageBuilder } from '../catalogue/builder';
import { CatalogueFileReader } from '../catalogue/catalogue-file';
import { DockerCatalogue } from '../catalogue/docker-catalogue';
import type { Config } from '../config';
import { BerthError } from '../errors';
import { Jobs } from '../jobs/jobs';
import type { Logger } from '../log';
import { Metrics } from '../metrics/metrics';
import { IMAGES_DIR, VERSION } from '../paths';
import { ClassStarts } from '../servers/class-starts';
import { leaveDatabase } from '../servers/databases';
import { readHub } from '../servers/readings';
import { Servers } from '../servers/servers';
import { DockerSpawner } from '../spawner/docker';
import { connectDocker, type Docker } from '../spawner/engine';
import { naming } from '../spawner/naming';
import { DockerVolumes, type Volumes } from '../spawner/shared-volumes';
import type { Spawner } from '../spawner/spawner';
import { SwarmSpawner } from '../spawner/swarm';
import { ActivityStore } from '../store/activity';
import { ClassStartStore } from '../store/class-starts';
import { DatabaseSecretStore } from '../store/database-secrets';
import { answers, EmbeddedRedis, embeddedRedisFiles, proxyAddress } from '../store/embedded-redis';
import { GroupStore } from '../store/groups';
import { JobStore } from '../store/jobs';
import { LoginFailureStore } from '../store/login-failures';
import { OAuthCodeStore } from '../store/oauth-codes';
import { connectRedis, type RedisAddress, type RedisClient } from '../store/redis';
import { RedisRouteStore } from '../store/routes';
import { ServerStore } from '../store/servers';
import { SessionStore } from '../store/sessions';
import { TokenStore } from '../store/tokens';
import { UserStore } from '../store/users';
import { type FairUse, openFairUse } from './fair-use';

export interface Runtime extends FairUse {
  config: Config;
  log: Logger;
  redis: RedisClient;
  /** The proxy's own connection: PROXY_REDIS_URL, or the embedded Redis's read-only proxy account. */
  proxyRedis: RedisClient;
  docker: Docker;
  users: UserStore;
  sessions: SessionStore;
  tokens: TokenStore;
  groups: GroupStore;
  routes: RedisRouteStore;
  records: ServerStore;
  loginFailures: LoginFailureStore;
  oauthCodes: OAuthCodeStore;
  catalogue: DockerCatalogue;
  builder: ImageBuilder;
  spawner: Spawner;
  volumes: Volumes;
  databaseSecrets: DatabaseSecretStore;
  activity: ActivityStore;
  servers: Servers;
  jobs: Jobs;
  classStarts: ClassStarts;
  metrics: Metrics;
  signIn: SignIn;
  /** What /hub/health asks. */
  health: { redis(): Promise<unknown>; engine(): Promise<unknown> };
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /**
   * own: this process runs the embedded Redis (the hub);
   * shared: use the running hub's embedded Redis, or run one just for this command (the CLI).
   */
  embeddedRedis: 'own' | 'shared';
}

interface RedisAddresses {
  address: RedisAddress;
  /** Where the proxy connects. */
  proxy: RedisAddress;
  stop(): Promise<void>;
}

/** The Redis to use, starting the embedded one when needed; `stop` undoes what was started. */
async function openRedisAddress(
  config: Config,
  log: Logger,
  mode: RuntimeOptions['embeddedRedis'],
): Promise<RedisAddresses> {
  const proxyUrl = config.proxyRedisUrl && { url: config.proxyRedisUrl };
  if (config.redisUrl)
    return {
      address: { url: config.redisUrl },
      proxy: proxyUrl || { url: config.redisUrl },
      stop: async () => undefined,
    };
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  if (mode === 'shared') {
    const files = embeddedRedisFiles(config.dataDir);
    if (fs.existsSync(files.passwordFile)) {
      const address = { socket: files.socket, password: fs.readFileSync(files.passwordFile, 'utf8').trim() };
      if (await answers(address))
        return { address, proxy: proxyUrl || proxyAddress(config.dataDir), stop: async () => undefined };
    }
  }
  const embedded = await EmbeddedRedis.start(config.dataDir, log);
  return { address: embedded.address, proxy: proxyUrl || proxyAddress(config.dataDir), stop: () => embedded.stop() };
}

export async function openRuntime(config: Config, log: Logger, options: RuntimeOptions): Promise<Runtime> {
  const redisAddress = await openRedisAddress(config, log, options.embeddedRedis);
  const redis = connectRedis(redisAddress.address);
  redis.on('error', (err) => log.warn('redis connection problem', { err: err.message }));
  const proxyRedis = connectRedis(redisAddress.proxy, 'berth-proxy', true);
  proxyRedis.on('error', (err) => log.warn('proxy redis connection problem', { err: err.message }));
  const docker = connectDocker(config.dockerHost);
  const routes = new RedisRouteStore(redis);
  const records = new ServerStore(redis);
  const users = new UserStore(redis);
  const activity = new ActivityStore(redis);
  const imagesDir = config.imagesDir ?? IMAGES_DIR;
  const builder = new ImageBuilder(docker, imagesDir, log, config.buildImages === 'missing');
  const catalogue = new DockerCatalogue(
    docker,
    {
      allowed: config.images,
      defaultId: config.defaultImage,
      defaultLimits: { memory: config.memLimit, cpu: config.cpuLimit, pids: config.pidsLimit },
      overrides: config.imageLimits,
      file: new CatalogueFileReader(path.join(imagesDir, CATALOGUE_FILE)),
    },
    builder,
  );
  const spawnerOptions = {
    hubName: config.hubName,
    version: VERSION,
    access: config.serverAccess,
    network: config.network ?? config.hubName,
    spawnTimeoutMs: config.spawnTimeout,
    httpTimeoutMs: config.httpTimeout,
    log,
    builder,
    serverApiPort: config.serverApiPort,
    publicUrl: config.publicUrl?.origin,
    homeVolume: { driver: config.homeVolumeDriver, options: config.homeVolumeOptions },
  };
  const spawner: Spawner =
    config.spawner === 'swarm'
      ? new SwarmSpawner(docker, { ...spawnerOptions, registry: config.registry })
      : new DockerSpawner(docker, spawnerOptions);
  const groups = new GroupStore(redis);
  const fairUse = openFairUse(config, { redis, spawner, records, routes, groups, activity, log });
  const { usage, ledger, accounts, homes } = fairUse;
  const metrics: Metrics = new Metrics(() =>
    readHub({ users, records, activity, queued: () => servers.queued, usage: () => usage.all() }),
  );
  const tokens = new TokenStore(redis);
  const databaseSecrets = new DatabaseSecretStore(redis);
  const servers = new Servers({
    spawner,
    tokens,
    catalogue,
    routes,
    records,
    users,
    groups,
    databaseSecrets,
    activity,
    accounts,
    log,
    metrics,
    concurrentSpawnLimit: config.concurrentSpawnLimit,
    activeServerLimit: config.activeServerLimit,
    ledger,
    homes,
    hoursPerWeek: config.quotaHoursPerWeek,
    homeWarn: config.homeSizeWarn,
    homeLimit: config.homeSizeLimit,
    maxAgeMs: config.maxAge,
    slowMs: config.slowSpawnTimeout,
  });
  const jobs = new Jobs({
    store: new JobStore(redis, config.jobRetention),
    runner: spawner.jobs,
    catalogue,
    users,
    groups,
    log,
    limits: {
      global: config.jobsLimit,
      perUser: config.jobsPerUser,
      defaultTimeout: config.jobTimeout / 1000,
      maxTimeout: config.jobMaxTimeout / 1000,
    },
  });
  const sessions = new SessionStore(redis);
  const classStarts = new ClassStarts({
    store: new ClassStartStore(redis),
    ...{ groups, catalogue, servers, log, activeServerLimit: config.activeServerLimit },
  });
  return {
    config,
    log,
    redis,
    proxyRedis,
    docker,
    users,
    sessions,
    tokens,
    groups,
    databaseSecrets,
    routes,
    records,
    loginFailures: new LoginFailureStore(redis),
    oauthCodes: new OAuthCodeStore(redis),
    catalogue,
    builder,
    spawner,
    volumes: new DockerVolumes(docker, naming(config.hubName, VERSION), config.hubName, async () => {
      // The catalogue's default image has a shell and is on the engine once anyone has started.
      const image = await catalogue.resolve(undefined);
      if (!image.built)
        throw new BerthError(503, `Build the catalogue's default image first (berth images build ${image.id}).`);
      return image.imageId;
    }),
    activity,
    servers,
    jobs,
    ...fairUse,
    classStarts,
    metrics,
    signIn: signInFromConfig(
      config,
      {
        users,
        groups,
        records,
        sessions,
        tokens,
        log,
        leftGroups: async (user, left) => {
          for (const group of left) await leaveDatabase({ spawner, databaseSecrets, log }, group, [user]);
        },
      },
      log,
    ),
    health: { redis: () => redis.ping(), engine: () => spawner.ping() },
    async close() {
      await proxyRedis.quit().catch(() => proxyRedis.disconnect());
      await redis.quit().catch(() => redis.disconnect());
      await redisAddress.stop();
    },
  };
}
