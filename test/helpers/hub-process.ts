/**
 * A hub as its own `berth serve` process, on a test Redis and a fresh data folder, for suites that
 * kill it (kill -9) and start it again: users are made in Redis before it starts, and `stop`
 * leaves nothing behind (process, containers, volumes, networks, Redis, folder).
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hashPassword } from '../../src/auth/password';
import { UserStore } from '../../src/store/users';
import { exited, serveProcess } from './cli';
import { removeHubObjects } from './docker';
import { SECRET } from './hub';
import { freePort, startRedis, type TestRedis } from './redis';

export interface HubProcess {
  redis: TestRedis;
  hubName: string;
  url: string;
  env: Record<string, string>;
  /** The running `berth serve`, between `serve` and `kill9`. */
  child?: ChildProcess;
  serve(): Promise<void>;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/** Settings for a hub named `<prefix><random>`, with `users` (password 'a-password'; `admins` among them); not started yet. */
export async function hubProcess(
  prefix: string,
  users: string[],
  extra: Record<string, string> = {},
  admins: string[] = [],
): Promise<HubProcess> {
  const redis = await startRedis();
  const hubName = `${prefix}${randomBytes(3).toString('hex')}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `berth-${prefix}-`));
  const port = await freePort();
  const store = new UserStore(redis.client());
  const hash = await hashPassword('a-password');
  for (const name of users) await store.create(name, { admin: admins.includes(name), passwordHash: hash });
  const hub: HubProcess = {
    redis,
    hubName,
    url: `http://127.0.0.1:${port}`,
    env: {
      REDIS_URL: redis.url,
      HUB_SECRET: SECRET,
      HUB_NAME: hubName,
      HUB_NETWORK: hubName,
      HUB_PORT: String(port),
      HUB_SERVER_ACCESS: 'port',
      HUB_BUILD_IMAGES: 'never',
      HUB_HOME_SIZE_INTERVAL: '0',
      HUB_DATA_DIR: dataDir,
      ...extra,
    },
    async serve() {
      hub.child = (await serveProcess(hub.env)).child;
    },
    async kill9() {
      const child = hub.child;
      if (!child) return;
      child.kill('SIGKILL');
      await exited(child);
      hub.child = undefined;
    },
    async stop() {
      await hub.kill9();
      await removeHubObjects(hubName);
      await redis.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return hub;
}
