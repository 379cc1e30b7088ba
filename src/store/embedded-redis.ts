/**
 * The embedded Redis: when REDIS_URL is unset the hub runs its own redis-server, as JupyterHub
 * runs its own proxy. It listens only on a unix socket under HUB_DATA_DIR (no TCP port, so user
 * containers cannot reach it), needs a generated password, keeps an append-only file, and is
 * restarted if it dies. A hub killed without stopping leaves its redis-server running: the next
 * hub keeps that one (when it runs the same settings) rather than restarting it, which spares the
 * restart's time and leaves `berth proxy` replicas reading routes throughout; one with other
 * settings is shut down cleanly first.
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
/** How often a kept redis-server (not the hub's child, so no exit event) is checked. */
const WATCH_EVERY_MS = 200;
/** After redis-server exits, before it is started again (no tight loop if it cannot start). */
const RESTART_AFTER_MS = 500;

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

/** The process has ended, or has and waits to be reaped. */
function ended(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** The pid of the redis-server answering at `address`, if it runs on this machine (in this pid namespace). */
async function serverPid(address: RedisAddress): Promise<number | undefined> {
  const client = connectRedis(address, 'berth-probe');
  client.on('error', () => undefined);
  try {
    const pid = Number(/^process_id:(\d+)/m.exec(await client.info('server'))?.[1]);
    const command = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return command.startsWith('redis-server') ? pid : undefined;
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

const readText = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined);

export class EmbeddedRedis {
  private child?: ChildProcess;
  /** A redis-server left running by an earlier hub, kept and watched. */
  private kept?: { pid: number; watch: NodeJS.Timeout };
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
    const config = renderConfig(files, password);
    const sameSettings = readText(files.config) === config;
    fs.writeFileSync(files.config, config, { mode: 0o600 });
    const redis = new EmbeddedRedis(
      files,
      { socket: files.socket, password },
      log.child({ component: 'embedded-redis' }),
    );
    if (await answers(redis.address)) {
      const pid = sameSettings ? await serverPid(redis.address) : undefined;
      if (pid !== undefined) {
        redis.keep(pid);
        await redis.createProxyAccount();
        return redis;
      }
      redis.log.warn('shutting down a Redis left by an earlier hub, with other settings; its data is kept', {
        socket: files.socket,
      });
      await shutdownLeftover(redis.address);
    }
    await redis.launch();
    return redis;
  }

  /** Keeps the redis-server an earlier hub left running, and starts another if it exits. */
  private keep(pid: number): void {
    this.log.warn('the last hub did not stop cleanly: keeping the redis-server it left running', {
      pid,
      socket: this.files.socket,
    });
    const watch = setInterval(() => {
      if (!ended(pid)) return;
      clearInterval(watch);
      this.kept = undefined;
      this.restart({ pid });
    }, WATCH_EVERY_MS);
    watch.unref();
    this.kept = { pid, watch };
  }

  private restart(detail: Record<string, unknown>): void {
    if (this.stopping) return;
    this.log.error('embedded redis-server exited; restarting it', detail);
    setTimeout(
      () => this.launch().catch((err) => this.log.error('could not restart redis-server', { err })),
      RESTART_AFTER_MS,
    ).unref();
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
      child.once('exit', (code, signal) => this.restart({ code, signal, stderr }));
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
    if (this.kept) {
      const { pid, watch } = this.kept;
      clearInterval(watch);
      if (!ended(pid)) process.kill(pid, 'SIGTERM');
      await waitUntil(async () => ended(pid), 10_000);
      return;
    }
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
