/**
 * `berth serve` as a process: the embedded Redis under HUB_DATA_DIR (append-only, password,
 * socket only), data kept across restarts and a kill -9, and a clear message without redis-server.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { keys } from '../../src/store/keys';
import { connectRedis } from '../../src/store/redis';
import { berth, exited, serveProcess } from '../helpers/cli';
import { removeHubObjects } from '../helpers/docker';
import { freePort, startRedis } from '../helpers/redis';

interface Ctx {
  dataDir: string;
  env: Record<string, string>;
  port: number;
}

const t = suite<Ctx>('berth serve');

t.before(async (ctx) => {
  ctx.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-serve-'));
  ctx.port = await freePort();
  ctx.env = {
    HUB_DATA_DIR: ctx.dataDir,
    HUB_PORT: String(ctx.port),
    HUB_BUILD_IMAGES: 'never',
    HUB_NAME: 'btserve',
    HUB_NETWORK: 'btserve',
    HUB_SERVER_ACCESS: 'port',
  };
});

t.after(async (ctx) => {
  fs.rmSync(ctx.dataDir, { recursive: true, force: true });
  await removeHubObjects('btserve');
});

function embedded(dataDir: string) {
  const redisDir = path.join(dataDir, 'redis');
  const password = fs.readFileSync(path.join(redisDir, 'password'), 'utf8').trim();
  const client = connectRedis({ socket: path.join(redisDir, 'redis.sock'), password });
  client.on('error', () => undefined);
  return client;
}

t('without REDIS_URL the hub runs its own Redis: socket only, password, append-only file', async (ctx) => {
  const { child } = await serveProcess(ctx.env);
  try {
    const health = await fetch(`http://127.0.0.1:${ctx.port}/hub/health`);
    assert.is(health.status, 200);
    const redisDir = path.join(ctx.dataDir, 'redis');
    assert.ok(fs.existsSync(path.join(redisDir, 'redis.sock')));
    assert.is(fs.statSync(path.join(redisDir, 'password')).mode & 0o777, 0o600);
    assert.is(fs.statSync(path.join(ctx.dataDir, 'secret')).mode & 0o777, 0o600);
    const client = embedded(ctx.dataDir);
    assert.equal(await client.config('GET', 'appendonly'), ['appendonly', 'yes']);
    assert.equal(await client.config('GET', 'port'), ['port', '0']);
    client.disconnect();
    const add = await berth(['user', 'add', 'alice'], ctx.env, 'alice-password\n');
    assert.is(add.code, 0, add.stderr);
  } finally {
    child.kill('SIGTERM');
    assert.is(await exited(child), 0);
  }
  assert.not.ok(fs.existsSync(path.join(ctx.dataDir, 'redis', 'redis.sock')), 'redis stopped with the hub');
});

/** The pid of the embedded redis-server, as it says itself. */
async function redisPid(dataDir: string): Promise<number> {
  const client = embedded(dataDir);
  try {
    return Number(/^process_id:(\d+)/m.exec(await client.info('server'))?.[1]);
  } finally {
    client.disconnect();
  }
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  for (const end = Date.now() + 15_000; Date.now() < end; await new Promise((r) => setTimeout(r, 100)))
    if (await check().catch(() => false)) return;
  assert.unreachable(`timed out waiting until ${what}`);
}

t('users survive a restart, and a kill -9 of the hub, whose redis-server the next hub keeps', async (ctx) => {
  const first = await serveProcess(ctx.env);
  let client = embedded(ctx.dataDir);
  assert.ok(await client.exists(keys.user('alice')), 'alice kept across a clean restart');
  await client.hset(keys.user('alice'), 'marker', 'before-kill');
  client.disconnect();
  const leftBehind = await redisPid(ctx.dataDir);
  first.child.kill('SIGKILL');
  await exited(first.child);
  const second = await serveProcess(ctx.env);
  try {
    assert.match(second.output(), /keeping the redis-server it left running/);
    assert.is(await redisPid(ctx.dataDir), leftBehind, 'the same redis-server, not a restarted one');
    client = embedded(ctx.dataDir);
    assert.is(await client.hget(keys.user('alice'), 'marker'), 'before-kill');
    client.disconnect();
    // Not the hub's child, yet watched: when it dies the hub starts another, with the data.
    await new Promise((r) => setTimeout(r, 1500)); // appendfsync everysec
    process.kill(leftBehind, 'SIGKILL');
    await waitFor(async () => (await redisPid(ctx.dataDir)) !== leftBehind, 'another redis-server answers');
    client = embedded(ctx.dataDir);
    assert.is(await client.hget(keys.user('alice'), 'marker'), 'before-kill');
    client.disconnect();
  } finally {
    second.child.kill('SIGKILL');
    await exited(second.child);
  }
  // One left with settings other than this hub's (another version's) is shut down and replaced.
  const other = await redisPid(ctx.dataDir);
  fs.appendFileSync(path.join(ctx.dataDir, 'redis', 'redis.conf'), '# another version\n');
  const third = await serveProcess(ctx.env);
  try {
    assert.match(third.output(), /shutting down a Redis left by an earlier hub, with other settings/);
    assert.is.not(await redisPid(ctx.dataDir), other);
  } finally {
    third.child.kill('SIGKILL');
    await exited(third.child);
  }
  // A hub that keeps a redis-server stops it when it stops, as it stops its own.
  const fourth = await serveProcess(ctx.env);
  assert.match(fourth.output(), /keeping the redis-server it left running/);
  fourth.child.kill('SIGTERM');
  assert.is(await exited(fourth.child), 0);
  assert.not.ok(fs.existsSync(path.join(ctx.dataDir, 'redis', 'redis.sock')), 'redis stopped with the hub');
});

t('a second hub on the same data dir is refused', async (ctx) => {
  const first = await serveProcess(ctx.env);
  try {
    const r = await berth(['serve'], { ...ctx.env, HUB_PORT: String(await freePort()) });
    assert.is(r.code, 1);
    assert.match(r.stderr, /Another Berth hub \(pid \d+\) is using HUB_DATA_DIR/);
    assert.is((await fetch(`http://127.0.0.1:${ctx.port}/hub/health`)).status, 200, 'the first one still serves');
  } finally {
    first.child.kill('SIGTERM');
    await exited(first.child);
  }
});

t('with REDIS_URL the hub uses that Redis and runs none of its own', async (ctx) => {
  const redis = await startRedis();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-url-'));
  const { child } = await serveProcess({ ...ctx.env, HUB_DATA_DIR: dataDir, REDIS_URL: redis.url });
  try {
    const add = await berth(['user', 'add', 'bob'], { ...ctx.env, REDIS_URL: redis.url }, 'bob-password\n');
    assert.is(add.code, 0, add.stderr);
    assert.ok(await redis.client().exists(keys.user('bob')));
    assert.not.ok(fs.existsSync(path.join(dataDir, 'redis')));
  } finally {
    child.kill('SIGTERM');
    await exited(child);
    await redis.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

t('without redis-server installed, the hub says what to install', async (ctx) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-none-'));
  const r = await berth(['serve'], { ...ctx.env, HUB_DATA_DIR: dataDir, PATH: '/nonexistent' });
  fs.rmSync(dataDir, { recursive: true, force: true });
  assert.is(r.code, 1);
  assert.match(
    r.stderr,
    /redis-server is not installed\. Install it \(apt-get install redis-server\) or set REDIS_URL/,
  );
});

t.run();
