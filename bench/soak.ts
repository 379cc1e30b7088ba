/**
 * Soak and faults (`--only=soak`): `berth serve` as people run it (hub and proxy in one process,
 * its embedded Redis), N users each with a real notebook server and a kernel, working through the
 * hub without pause (soak-load.ts). After a warm-up, the hub's memory and open descriptors at the
 * start and the end of a long stretch, and every failed request. Then, under the same load: the
 * hub killed with SIGKILL and started again at once (as a supervisor would), first with the load
 * through a `berth proxy` in front of it (JupyterHub's shape, where the proxy outlives the hub),
 * then through the hub itself; its Redis killed with SIGKILL (the hub restarts it), the Docker
 * engine restarted. For each: how long requests failed and what they got, whether any was
 * answered by another user's server, and that nothing the hub keeps in Redis was lost. After the
 * engine's restart every user must be told their server stopped, and get their own server (with
 * their home) when they start it again.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { ROOT } from '../src/paths';
import { embeddedRedisFiles } from '../src/store/embedded-redis';
import { connectRedis, type RedisClient } from '../src/store/redis';
import { RedisRouteStore } from '../src/store/routes';
import { UserStore } from '../src/store/users';
import { removeHubObjects } from '../test/helpers/docker';
import { freePort } from '../test/helpers/redis';
import { classOf, type Member, NOTEBOOK, percentile, startServers } from './lib/class';
import { restartEngine } from './lib/engine';
import { request } from './lib/http';
import { BERTH_BIN, quietMachine, rssMiB, startProcess, stop } from './lib/procs';
import type { Row } from './lib/report';
import type { Outcome } from './soak-load';

export interface SoakOptions {
  docker: Docker;
  secret: string;
  hubName: string;
  users: number;
  /** Load before the first measurement, then the long stretch, then the load after each fault. */
  warmSeconds: number;
  soakSeconds: number;
  faultSeconds: number;
}

/** The hub, started again with the same settings after it is killed. */
class Hub {
  child?: ChildProcess;

  private constructor(
    readonly url: string,
    readonly dataDir: string,
    private readonly env: Record<string, string>,
  ) {}

  static async create(opts: SoakOptions): Promise<Hub> {
    const port = await freePort();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-soak-'));
    return new Hub(`http://127.0.0.1:${port}`, dataDir, {
      REDIS_URL: '',
      HUB_SECRET: opts.secret,
      HUB_PORT: String(port),
      HUB_NAME: opts.hubName,
      HUB_NETWORK: opts.hubName,
      HUB_SERVER_ACCESS: 'port',
      HUB_BUILD_IMAGES: 'never',
      HUB_IMAGES: 'python',
      HUB_LOG_LEVEL: 'warn',
      HUB_DATA_DIR: dataDir,
    });
  }

  /** Starts `berth serve`; resolves with the seconds until it said it is running. */
  async start(): Promise<number> {
    const begun = performance.now();
    this.child = await startProcess(BERTH_BIN, ['serve'], 'Berth is running at', this.env);
    return (performance.now() - begun) / 1000;
  }

  /** Kills the hub with SIGKILL and starts it again at once; resolves with the seconds the start took. */
  async killAndStart(): Promise<number> {
    process.kill(this.child!.pid!, 'SIGKILL');
    return this.start();
  }

  /** `berth proxy` in front of this hub, reading the same embedded Redis. */
  async proxy(): Promise<{ child: ChildProcess; url: string }> {
    const port = await freePort();
    const child = await startProcess(BERTH_BIN, ['proxy'], 'Berth proxy is running', {
      ...this.env,
      PROXY_PORT: String(port),
      PROXY_HUB_URL: this.url,
    });
    return { child, url: `http://127.0.0.1:${port}` };
  }
}

/** The embedded redis-server's pid, as it says itself (a restarted hub keeps the one it finds). */
async function redisPid(redis: RedisClient): Promise<number> {
  return Number(/^process_id:(\d+)/m.exec(await redis.info('server'))?.[1]);
}

const openFiles = (pid: number) => fs.readdirSync(`/proc/${pid}/fd`).length;

/** What the hub keeps that must outlive any fault: every user, and each running server's route. */
async function keptFacts(redis: RedisClient, names: string[]): Promise<string[]> {
  const users = new UserStore(redis);
  const routes = new RedisRouteStore(redis);
  return Promise.all(
    names.map(async (name) => {
      const [user, route] = await Promise.all([users.get(name), routes.get(name)]);
      return `${name}: ${user ? 'user' : 'no user'}, ${route ? route.target : 'no route'}`;
    }),
  );
}

/** The load in its own process; `finish()` stops it and resolves every outcome. */
function startLoad(hubUrl: string, members: Member[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-soak-load-'));
  const [planFile, resultFile] = [path.join(dir, 'plan.json'), path.join(dir, 'result.json')];
  const users = members.map((m) => ({
    name: m.name,
    kernel: m.kernel,
    base: `${hubUrl}/user/${m.name}`,
    headers: { authorization: `token ${m.token}` },
  }));
  fs.writeFileSync(planFile, JSON.stringify({ notebook: NOTEBOOK, users }));
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'bench', 'soak-load.js'), planFile, resultFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((r) => child.once('exit', r));
  const opened = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('open') && resolve());
    void exited.then(() => reject(new Error('the soak load exited before every socket opened')));
  });
  return {
    opened,
    async finish(): Promise<Outcome[]> {
      child.kill('SIGTERM');
      await exited;
      const outcomes = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as Outcome[];
      fs.rmSync(dir, { recursive: true, force: true });
      return outcomes;
    },
  };
}

/**
 * The failures that ended in [from, to): how long they lasted (first to last), how many, and what
 * they got. By their end, not their start: a request sent just before the next fault and failed
 * by it belongs to that fault.
 */
function outage(outcomes: Outcome[], from: number, to: number) {
  const inWindow = outcomes.filter((o) => o.at + o.ms >= from && o.at + o.ms < to);
  const failed = inWindow.filter((o) => o.failed);
  const kinds = new Map<string, number>();
  for (const o of failed) kinds.set(o.failed!, (kinds.get(o.failed!) ?? 0) + 1);
  const got = [...kinds].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n}× ${k}`);
  // Folded, not spread: a window can hold more outcomes than a call takes arguments.
  const first = failed.reduce((min, o) => Math.min(min, o.at), Infinity);
  const last = failed.reduce((max, o) => Math.max(max, o.at + o.ms), -Infinity);
  const seconds = failed.length ? (last - first) / 1000 : 0;
  const slowest = inWindow.reduce((max, o) => (o.failed ? max : Math.max(max, o.ms)), 0);
  return {
    seconds,
    failed: failed.length,
    requests: inWindow.length,
    foreign: inWindow.filter((o) => o.foreign).length,
    slowest,
    got: got.slice(0, 4).join('; '),
  };
}

/** Each user asks their server after the engine restart: answered that it stopped (and how to start it)? */
async function toldStopped(url: string, members: Member[]): Promise<number> {
  const answers = await Promise.all(
    members.map((m) => request(`${url}/user/${m.name}/api/status`, { headers: { authorization: `token ${m.token}` } })),
  );
  return answers.filter((a) => a.status === 503 && a.body.includes('not running') && a.body.includes('/hub/home'))
    .length;
}

/** After starting again: each user's notebook, through the hub, is their own. */
async function ownServers(url: string, members: Member[]): Promise<number> {
  const owners = await Promise.all(
    members.map(async (m) => {
      const res = await request(`${url}/user/${m.name}/api/contents/${NOTEBOOK}?content=1`, {
        headers: { authorization: `token ${m.token}` },
      });
      return res.status === 200
        ? (JSON.parse(res.body) as { content: { metadata: { owner?: string } } }).content.metadata.owner
        : '';
    }),
  );
  return owners.filter((owner, i) => owner === members[i].name).length;
}

/** The stretch without faults: errors, the execute round trip, and the hub's memory and descriptors at its two ends. */
function soakRows(
  opts: SoakOptions,
  outcomes: Outcome[],
  from: number,
  to: number,
  start: number[],
  end: number[],
): Row[] {
  const stretch = outcomes.filter((o) => o.at >= from && o.at < to);
  const failed = stretch.filter((o) => o.failed);
  const executes = stretch.filter((o) => o.what === 'execute' && !o.failed).map((o) => o.ms);
  const minutes = (opts.soakSeconds / 60).toFixed(opts.soakSeconds < 60 ? 1 : 0);
  const within = (a: number, b: number) => b <= a * 1.1;
  return [
    {
      section: 'soak',
      case: `${opts.users} users working for ${minutes} min through the hub: failed requests`,
      unit: 'requests',
      berth: failed.length,
      detail: {
        requests: stretch.length,
        foreign: stretch.filter((o) => o.foreign).length,
        execute_p50_ms: percentile(executes, 50),
        execute_p99_ms: percentile(executes, 99),
        ...(failed.length ? { first: failed[0].failed ?? '' } : {}),
      },
      target: '0',
      met: failed.length === 0,
    },
    {
      section: 'soak',
      case: `  same, the hub's memory at the end (beside the start)`,
      unit: 'MiB',
      berth: end[0],
      other: { name: 'start', value: start[0] },
      target: 'within 10 % of the start',
      met: within(start[0], end[0]),
    },
    {
      section: 'soak',
      case: `  same, the hub's open descriptors at the end (beside the start)`,
      unit: 'fds',
      berth: end[1],
      other: { name: 'start', value: start[1] },
      target: 'within 10 % of the start',
      met: within(start[1], end[1]),
    },
  ];
}

function faultRow(
  what: string,
  o: ReturnType<typeof outage>,
  limit: number,
  lost: number,
  extra: Record<string, number> = {},
): Row {
  return {
    section: 'soak',
    case: `${what}: requests failed for`,
    unit: 's',
    berth: o.seconds,
    detail: {
      failed: o.failed,
      requests: o.requests,
      slowest_answer_ms: o.slowest,
      foreign: o.foreign,
      lost_in_redis: lost,
      got: o.got,
      ...extra,
    },
    target: `<= ${limit} s, none answered by another's server, nothing lost`,
    met: o.seconds <= limit && o.foreign === 0 && lost === 0,
  };
}

const differences = (a: string[], b: string[]) => a.filter((x, i) => x !== b[i]).length;

export async function soakBench(opts: SoakOptions): Promise<Row[]> {
  const hub = await Hub.create(opts);
  await hub.start();
  const files = embeddedRedisFiles(hub.dataDir);
  const redis = connectRedis(
    { socket: files.socket, password: fs.readFileSync(files.passwordFile, 'utf8').trim() },
    'bench',
  );
  redis.on('error', () => undefined); // it reconnects after the faults below
  const rows: Row[] = [];
  try {
    const members = await classOf(hub.url, redis, opts.users, 'soak');
    const names = members.map((m) => m.name);
    // The class's kernels boot first: the warm-up is for the load, not for start-up.
    await quietMachine();
    const load = startLoad(hub.url, members);
    await load.opened;
    const from = Date.now();
    await sleep(opts.warmSeconds * 1000);
    const pid = () => hub.child!.pid!;
    const start = [rssMiB(pid()), openFiles(pid())];
    const soakFrom = Date.now();
    await sleep(opts.soakSeconds * 1000);
    const end = [rssMiB(pid()), openFiles(pid())];
    const soakTo = Date.now();
    const soaked = await load.finish();
    const before = await keptFacts(redis, names);

    process.stderr.write('  kill -9 the hub behind berth proxy ...\n');
    const proxy = await hub.proxy();
    const throughProxy = startLoad(proxy.url, members);
    await throughProxy.opened;
    const proxiedFrom = Date.now();
    await sleep(opts.faultSeconds * 1000);
    const restartBehindProxy = await hub.killAndStart();
    await sleep(opts.faultSeconds * 1000);
    const proxied = await throughProxy.finish();
    await stop(proxy.child);
    const afterProxied = await keptFacts(redis, names);

    process.stderr.write('  kill -9 the hub ...\n');
    const faults = startLoad(hub.url, members);
    await faults.opened;
    await sleep(opts.faultSeconds * 1000);
    const hubKilled = Date.now();
    const restartSeconds = await hub.killAndStart();
    await sleep(opts.faultSeconds * 1000);
    const afterHub = await keptFacts(redis, names);

    process.stderr.write('  kill -9 its Redis ...\n');
    // Written just before: acknowledged means kept.
    await new UserStore(redis).create('soakmarker', { admin: false });
    const redisKilled = Date.now();
    process.kill(await redisPid(redis), 'SIGKILL');
    await sleep(opts.faultSeconds * 1000);
    const afterRedis = await keptFacts(redis, names);
    const marker = (await new UserStore(redis).get('soakmarker')) ? 0 : 1;

    process.stderr.write('  restart the Docker engine ...\n');
    const engineRestarted = Date.now();
    await restartEngine(opts.docker, path.join(os.tmpdir(), 'berth-bench-dockerd.log'));
    const engineSeconds = (Date.now() - engineRestarted) / 1000;
    // The hub sees every server gone: their routes are removed.
    const routes = new RedisRouteStore(redis);
    for (const end = Date.now() + 120_000; Date.now() < end; await sleep(500))
      if ((await Promise.all(names.map((n) => routes.get(n)))).every((r) => !r)) break;
    const noticedSeconds = (Date.now() - engineRestarted) / 1000;
    await sleep(2000);
    const outcomes = await faults.finish();
    // Every failed or foreign answer, for a closer look than the table's.
    const kept = [...soaked, ...proxied, ...outcomes].filter((o) => o.failed || o.foreign);
    fs.mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
    fs.writeFileSync(path.join(ROOT, 'bench', 'results', 'soak-failures.json'), JSON.stringify(kept));
    const told = await toldStopped(hub.url, members);
    await startServers(hub.url, members);
    const own = await ownServers(hub.url, members);

    const soakOutcomes = soaked.filter((o) => o.at >= from);
    rows.push(...soakRows(opts, soakOutcomes, soakFrom, soakTo, start, end));
    rows.push(
      faultRow(
        'hub killed (SIGKILL) and started again, the load through `berth proxy` in front of it',
        // Every request once the sockets opened, before the kill too: through the proxy none should fail.
        outage(proxied, proxiedFrom, Infinity),
        3,
        differences(before, afterProxied),
        { hub_restart_s: restartBehindProxy },
      ),
      faultRow(
        'hub killed (SIGKILL) and started again, the load through the hub (`berth serve`: hub and proxy in one process)',
        outage(outcomes, hubKilled, redisKilled),
        3,
        differences(before, afterHub),
        {
          hub_restart_s: restartSeconds,
        },
      ),
      faultRow(
        'its Redis killed (SIGKILL)',
        outage(outcomes, redisKilled, engineRestarted),
        2,
        differences(before, afterRedis) + marker,
      ),
    );
    const engine = outage(outcomes, engineRestarted, Date.now());
    rows.push({
      section: 'soak',
      case: 'Docker engine restarted: users told their server stopped, then on their own server after Start',
      unit: 'users',
      berth: Math.min(told, own),
      other: { name: 'users', value: members.length },
      detail: {
        told_stopped: told,
        own_server_after_start: own,
        foreign: engine.foreign,
        engine_restart_s: engineSeconds,
        hub_noticed_s: noticedSeconds,
        got: engine.got,
      },
      target: "every user, none answered by another's server",
      met: told === members.length && own === members.length && engine.foreign === 0,
    });
  } finally {
    redis.disconnect();
    await stop(hub.child);
    await removeHubObjects(opts.hubName);
    fs.rmSync(hub.dataDir, { recursive: true, force: true });
  }
  return rows;
}
