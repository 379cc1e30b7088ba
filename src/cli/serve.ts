/**
 * `berth serve`: the hub with its in-process proxy, and the embedded Redis unless REDIS_URL is
 * set. Start-up runs in order: claim the data dir → Redis → Docker → admins → images →
 * networks → reconcile servers → listen → background work (events, polls, culler, builds).
 * SIGINT/SIGTERM stop it; user servers keep running, and the next start adopts them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseUsername } from '../auth/username';
import { outdatedImages } from '../catalogue/build';
import { type Config, servesTls } from '../config';
import { BerthError } from '../errors';
import { createLogger } from '../log';
import { secondsSince } from '../metrics/metrics';
import { startBackground } from '../servers/background';
import { listen } from './listen';
import { openRuntime, type Runtime } from './runtime';
import { signingKeys } from './signing-keys';

/** One hub per data dir: a second one would shut down the first one's embedded Redis. */
function claimDataDir(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pidFile = path.join(dataDir, 'hub.pid');
  const other = Number(fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8').trim() : NaN);
  if (other && other !== process.pid && isHub(other)) {
    throw new BerthError(
      500,
      `Another Berth hub (pid ${other}) is using HUB_DATA_DIR=${dataDir}; stop it or use another HUB_DATA_DIR.`,
    );
  }
  fs.writeFileSync(pidFile, `${process.pid}\n`);
  return () => fs.rmSync(pidFile, { force: true });
}

function isHub(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('serve');
  } catch {
    return false;
  }
}

async function ensureAdmins(rt: Runtime, names: readonly string[]): Promise<void> {
  for (const raw of names) {
    const name = parseUsername(raw);
    if (await rt.users.get(name)) {
      await rt.users.setAdmin(name, true);
    } else {
      await rt.users.create(name, { admin: true });
      if (rt.signIn.local)
        rt.log.warn('created admin from HUB_ADMIN_USERS without a password; set one with `berth user set-password`', {
          user: name,
        });
      else rt.log.info('created admin from HUB_ADMIN_USERS; they sign in through HUB_AUTH', { user: name });
    }
  }
}

/**
 * Applies the sign-in rules as they now stand: blocked users, and provider users the rules no
 * longer let in, lose their sessions and tokens; a provider nobody may use through is reported.
 */
export async function applySignInRules(rt: Runtime): Promise<void> {
  const revoked = await rt.signIn.admissions.enforce();
  if (revoked.length > 0) rt.log.warn('sessions and tokens ended: blocked or no longer allowed', { users: revoked });
  if (rt.signIn.nobodyAllowed)
    rt.log.warn(
      'nobody can sign in through the identity provider or directory: set HUB_ALLOWED_USERS, HUB_ALLOWED_GROUPS ' +
        'or HUB_ALLOW_ALL=yes (HUB_ADMIN_USERS and HUB_ADMIN_GROUPS get in too)',
      { auth: rt.config.auth },
    );
}

/** Says which catalogue images are missing or old; with HUB_BUILD_IMAGES=missing they build in the background. */
async function reportImages(rt: Runtime): Promise<void> {
  for (const problem of rt.catalogue.problems()) rt.log.warn('left out of the catalogue', { problem });
  for (const { source, state } of await outdatedImages(rt.docker, rt.builder.sources())) {
    const image = `catalogue image '${source.catalogueId ?? source.name}'`;
    const why = state === 'missing' ? 'is not built' : `is older than images/${source.name}`;
    if (rt.builder.enabled) rt.log.info(`${image} ${why}; building it in the background (HUB_BUILD_IMAGES=missing)`);
    else if (state === 'missing') rt.log.warn(`${image} ${why}; build it with \`berth images build ${source.name}\``);
    else rt.log.info(`${image} ${why}; rebuild it with \`berth images build --force ${source.name}\``);
  }
}

async function pingDocker(rt: Runtime): Promise<void> {
  try {
    await rt.docker.ping();
  } catch (err) {
    const where = rt.config.dockerHost ?? 'unix:///var/run/docker.sock';
    const message = `Cannot reach the Docker engine (${where}): is dockerd running? Set DOCKER_HOST to use another.`;
    throw new BerthError(500, message, { err });
  }
}

export async function serve(config: Config): Promise<void> {
  const log = createLogger(config.logLevel);
  const begun = performance.now();
  const release = config.redisUrl ? () => undefined : claimDataDir(config.dataDir);
  const rt = await openRuntime(config, log, { embeddedRedis: 'own' });
  try {
    const keys = signingKeys(config, log, true);
    await pingDocker(rt);
    await rt.users.pages.indexNames();
    await ensureAdmins(rt, config.adminUsers);
    await applySignInRules(rt);
    await reportImages(rt);
    const prepared = await rt.spawner.prepare();
    await rt.servers.reconcile();
    const hub = await listen(rt, keys, { port: config.port, bind: config.bind, ...prepared });
    rt.metrics.startupDuration.observe(secondsSince(begun));
    const stopBackground = startBackground(rt, {
      pollIntervalMs: config.pollInterval,
      idleTimeoutMs: config.idleTimeout,
      pauseAfterMs: config.pauseAfter,
      maxAgeMs: config.maxAge,
      usageIntervalMs: config.usageInterval,
      homeSizeIntervalMs: config.homeSizeInterval,
    });
    rt.builder
      .buildOutdated()
      .catch((err) => log.error('building images failed; starts that need them will try again', { err }));
    log.info('Berth is running', { url: hub.url, bind: config.bind, port: hub.port });
    const host = config.bind === '127.0.0.1' || config.bind === '0.0.0.0' ? 'localhost' : config.bind;
    process.stdout.write(`Berth is running at ${servesTls(config) ? 'https' : 'http'}://${host}:${hub.port}/\n`);
    const stop = async (signal: string) => {
      log.info('stopping; user servers keep running', { signal });
      stopBackground();
      await hub.close();
      await rt.close();
      release();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  } catch (err) {
    await rt.close();
    release();
    throw err;
  }
}
