/**
 * The embedded Redis: when REDIS_URL is unset the hub runs its own redis-server, as JupyterHub
 * runs its own proxy. It listens only on a unix socket under HUB_DATA_DIR (no TCP port, so user
 * containers cannot reach it), needs a generated password, keeps an append-only file, and is
 * restarted if it dies. A leftover server from a hub that was killed is shut down cleanly first.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BerthError } from '../errors';
import type { Logger } from '../log';
import { PROXY_READS, PROXY_WRITES } from './keys';
import { connectRedis, type RedisAddress } from './redis';

const SOCKET_MAX = 100; // unix socket paths are limited to about 107 bytes

export interface EmbeddedRedisFiles {
  dir: string;
  socket: string;
  config: string;
  passwordFile: string;
  proxyPasswordFile: string;
}

export function embeddedRedisFiles(dataDir: string): EmbeddedRedisFiles {
  const dir = path.join(dataDir, 'redis');
  return {
    dir,
    socket: path.join(dir, 'redis.sock'),
    config: path.join(dir, 'redis.conf'),
    passwordFile: path.join(dir, 'password'),
    proxyPasswordFile: path.join(dir, 'proxy-password'),
  };
}

/** The ACL user the proxy connects as: it reads routes, sessions, tokens and users, and writes only activity. */
export const PROXY_ACCOUNT = 'berth-proxy';
const PROXY_RULES = [
  '-@all',
  ...[
    'get',
    'mget',
    'hgetall',
    'hget',
    'hmget',
    'smembers',
    'zadd',
    'ping',
    'info',
    'client|setname',
    'hello',
    'auth',
  ].map((c) => `+${c}`),
  ...PROXY_READS.map((pattern) => `%R~${pattern}`),
  ...PROXY_WRITES.map((key) => `~${key}`),
];

/** Reads a password file, creating it (mode 0600) with a random password the first time. */
function ensurePassword(dir: string, file: string): string {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    const password = randomBytes(32).toString('hex');
    fs.writeFileSync(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
    return password;
  }
}

/** Where the proxy reaches the embedded Redis, as its read-only account. */
export function proxyAddress(dataDir: string): { socket: string; password: string; username: string } {
  const files = embeddedRedisFiles(dataDir);
  return {
    socket: files.socket,
    username: PROXY_ACCOUNT,
    password: ensurePassword(files.dir, files.proxyPasswordFile),
  };
}

/** True when a Redis answers on the socket with this password. */
export async function answers(address: RedisAddress): Promise<boolean> {
  if ('socket' in address && !fs.existsSync(address.socket)) return false;
  const client = connectRedis(address, 'berth-probe');
  client.on('error', () => undefined);
  try {
    return (
      (await Promise.race([client.ping(), new Promise<string>((r) => setTimeout(() => r('timeout'), 2000))])) === 'PONG'
    );
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function waitUntil(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

export class EmbeddedRedis {
  private child?: ChildProcess;
  private stopping = false;

  private constructor(
    private readonly files: EmbeddedRedisFiles,
    readonly address: { socket: string; password: string },
    private readonly log: Logger,
  ) {}

  /** Starts redis-server under `dataDir` and resolves once it answers. */
  static async start(dataDir: string, log: Logger): Promise<EmbeddedRedis> {
    const files = embeddedRedisFiles(dataDir);
    if (files.socket.length > SOCKET_MAX) {
      throw new BerthError(
        500,
        `HUB_DATA_DIR is too long a path for Redis's socket (${files.socket}); use a shorter one.`,
      );
    }
    const password = ensurePassword(files.dir, files.passwordFile);
    fs.writeFileSync(files.config, renderConfig(files, password), { mode: 0o600 });
    const redis = new EmbeddedRedis(
      files,
      { socket: files.socket, password },
      log.child({ component: 'embedded-redis' }),
    );
    if (await answers(redis.address)) {
      redis.log.warn('shutting down a Redis left by an earlier hub; its data is kept', { socket: files.socket });
      await shutdownLeftover(redis.address);
    }
    await redis.launch();
    return redis;
  }

  private launch(): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn('redis-server', [this.files.config], { stdio: ['ignore', 'ignore', 'pipe'] });
      this.child = child;
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
      child.once('error', (err: NodeJS.ErrnoException) => {
        reject(
          err.code === 'ENOENT'
            ? new BerthError(
                500,
                'Berth runs its own Redis when REDIS_URL is unset, but redis-server is not installed. Install ' +
                  'it (apt-get install redis-server) or set REDIS_URL.',
              )
            : err,
        );
      });
      child.once('exit', (code, signal) => {
        if (this.stopping) return;
        this.log.error('embedded redis-server exited; restarting it', { code, signal, stderr });
        setTimeout(
          () => this.launch().catch((err) => this.log.error('could not restart redis-server', { err })),
          500,
        ).unref();
      });
      waitUntil(() => answers(this.address), 10_000).then(async (ok) => {
        if (ok) {
          await this.createProxyAccount().catch(reject);
          this.log.info('embedded redis-server is up', { socket: this.files.socket, pid: child.pid });
          resolve();
        } else {
          reject(
            new BerthError(500, `redis-server did not start; see ${path.join(this.files.dir, 'redis.log')}`, {
              stderr,
            }),
          );
        }
      });
    });
  }

  /** (Re)creates the proxy's read-only account with its password from HUB_DATA_DIR. */
  private async createProxyAccount(): Promise<void> {
    const { password } = proxyAddress(path.dirname(this.files.dir));
    const client = connectRedis(this.address, 'berth-acl');
    try {
      await client.call('ACL', 'SETUSER', PROXY_ACCOUNT, 'reset', 'on', `>${password}`, ...PROXY_RULES);
    } finally {
      client.disconnect();
    }
  }

  /** Stops redis-server (it flushes its append-only file first). */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  }
}

function renderConfig(files: EmbeddedRedisFiles, password: string): string {
  return [
    'port 0',
    `unixsocket ${files.socket}`,
    'unixsocketperm 700',
    `dir ${files.dir}`,
    'appendonly yes',
    'appendfsync everysec',
    `requirepass ${password}`,
    `logfile ${path.join(files.dir, 'redis.log')}`,
    'daemonize no',
    '',
  ].join('\n');
}

async function shutdownLeftover(address: RedisAddress): Promise<void> {
  const client = connectRedis(address, 'berth-shutdown');
  client.on('error', () => undefined);
  await client.call('SHUTDOWN').catch(() => undefined); // the connection drops as the server exits
  client.disconnect();
  await waitUntil(async () => !(await answers(address)), 10_000);
}
