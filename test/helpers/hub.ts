/**
 * A real hub for integration tests: real Redis (a throwaway one), real Docker, listening on a
 * random loopback port, with a unique HUB_NAME so its containers, volumes and networks are its
 * own and are removed by `close()`.
 */
import { randomBytes } from 'node:crypto';
import { hashPassword } from '../../src/auth/password';
import { listen } from '../../src/cli/listen';
import { openRuntime, type Runtime } from '../../src/cli/runtime';
import { applySignInRules } from '../../src/cli/serve';
import { type Config, loadConfig } from '../../src/config';
import { createLogger, silentLogger } from '../../src/log';
import { startBackground } from '../../src/servers/background';
import { type Client, signedIn } from './client';
import { removeHubObjects } from './docker';
import { startRedis, type TestRedis } from './redis';

export interface TestHub {
  url: string;
  hubName: string;
  config: Config;
  runtime: Runtime;
  redis: TestRedis;
  addUser(name: string, password: string, admin?: boolean): Promise<void>;
  close(): Promise<void>;
}

export const SECRET = 'test-secret-0123456789abcdefghijklmnopqrstuvwxyz';

/**
 * A hub with `env` over the test defaults; `background: false` leaves out events, polls and the
 * culler; `logs` collects every log line the hub writes.
 */
/**
 * A start request answers 201 only when the server is ready within HUB_SLOW_SPAWN_TIMEOUT (10 s
 * by default), and a loaded CI machine can take longer; tests that assert 201 mean "it started".
 * Tests of the 202 path set 0.
 */
export const SLOW_MACHINE = { HUB_SLOW_SPAWN_TIMEOUT: '60' };

export async function startHub(
  env: Record<string, string> = {},
  opts: { background?: boolean; logs?: string[] } = {},
): Promise<TestHub> {
  const redis = await startRedis();
  const hubName = `bt${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    REDIS_URL: redis.url,
    HUB_SECRET: SECRET,
    HUB_NAME: hubName,
    HUB_NETWORK: hubName,
    HUB_SERVER_ACCESS: 'port',
    HUB_PORT: '0',
    HUB_MEM_LIMIT: '512m',
    HUB_BUILD_IMAGES: 'never',
    // Sizing every volume takes the engine seconds: only the suites about homes' sizes ask for it.
    HUB_HOME_SIZE_INTERVAL: '0',
    ...SLOW_MACHINE,
    ...env,
  });
  const logs = opts.logs;
  const log = logs
    ? createLogger('debug', {}, (line) => logs.push(line))
    : process.env.BERTH_TEST_LOG
      ? createLogger('debug')
      : silentLogger;
  const runtime = await openRuntime(config, log, { embeddedRedis: 'own' }).catch(async (err: unknown) => {
    await redis.stop();
    throw err;
  });
  // A hub that fails to come up leaves nothing running: its Redis would keep the test process alive.
  const hub = await (async () => {
    await applySignInRules(runtime);
    const prepared = await runtime.spawner.prepare();
    await runtime.servers.reconcile();
    // A test that must know the hub's URL before it starts (an identity provider sends people back to it) sets HUB_PORT.
    const port = env.HUB_PORT ? config.port : 0;
    return listen(runtime, [SECRET], { port, bind: '127.0.0.1', ...prepared });
  })().catch(async (err: unknown) => {
    await runtime.close();
    await redis.stop();
    throw err;
  });
  const stopBackground =
    opts.background === false
      ? () => undefined
      : startBackground(runtime, {
          pollIntervalMs: config.pollInterval,
          idleTimeoutMs: config.idleTimeout,
          pauseAfterMs: config.pauseAfter,
          maxAgeMs: config.maxAge,
          usageIntervalMs: config.usageInterval,
          homeSizeIntervalMs: config.homeSizeInterval,
        });
  return {
    url: hub.url,
    hubName,
    config,
    runtime,
    redis,
    async addUser(name, password, admin = false) {
      await runtime.users.create(name, { admin, passwordHash: await hashPassword(password) });
    },
    async close() {
      stopBackground();
      await hub.close();
      await removeHubObjects(hubName);
      await runtime.close();
      await redis.stop();
    },
  };
}

/** A test hub with alice and bob, each signed in (password: "<name>-password"). */
export async function hubWithAliceAndBob(
  env: Record<string, string> = {},
): Promise<{ hub: TestHub; alice: Client; bob: Client }> {
  const hub = await startHub(env);
  await hub.addUser('alice', 'alice-password');
  await hub.addUser('bob', 'bob-password');
  return {
    hub,
    alice: await signedIn(hub.url, 'alice', 'alice-password'),
    bob: await signedIn(hub.url, 'bob', 'bob-password'),
  };
}
