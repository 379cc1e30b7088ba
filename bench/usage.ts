/**
 * The cost of live usage with 100 running servers: the hub (`berth serve`) and the Docker engine,
 * each measured in CPU-seconds over the same window, once with sampling off (HUB_USAGE_INTERVAL=0)
 * and once every 10 s as shipped, beside the hub's memory. The servers are real containers on the
 * real engine, registered as the hub's own (its labels, names, records and routes), running
 * `sleep` in place of a notebook server: a reading of their stats costs the same, and 100 of them
 * fit any machine. What each reading costs is the difference, divided by the readings made.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { VERSION } from '../src/paths';
import { naming } from '../src/spawner/naming';
import type { RedisClient } from '../src/store/redis';
import { RedisRouteStore } from '../src/store/routes';
import { ServerStore } from '../src/store/servers';
import { removeHubObjects } from '../test/helpers/docker';
import { freePort, startRedis } from '../test/helpers/redis';
import { BERTH_BIN, cpuSeconds, rssMiB, startProcess, stop } from './lib/procs';
import type { Row } from './lib/report';

export interface UsageBenchOptions {
  docker: Docker;
  secret: string;
  servers: number;
  /** The measured window, seconds. */
  seconds: number;
}

const HUB = 'berthbenchusage';
const INTERVAL_S = 10;

function dockerdPid(): number {
  for (const dir of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (fs.readFileSync(`/proc/${dir}/comm`, 'utf8').trim() === 'dockerd') return Number(dir);
    } catch {
      // It ended between the listing and the read.
    }
  }
  throw new Error('no dockerd process to measure');
}

/** `count` containers registered as the hub's running servers, as its own start would leave them. */
async function fakeServers(docker: Docker, redis: RedisClient, count: number): Promise<void> {
  const records = new ServerStore(redis);
  const routes = new RedisRouteStore(redis);
  const names = naming(HUB, VERSION);
  for (let i = 0; i < count; i++) {
    const user = `usage${String(i).padStart(3, '0')}`;
    const container = await docker.createContainer({
      name: names.container(user),
      Image: 'berth/python:latest',
      Cmd: ['sleep', 'infinity'],
      Labels: { ...names.labels('server', user), 'berth.test': 'bench' },
      HostConfig: { Memory: 64 * 1024 ** 2, NetworkMode: 'none' },
    });
    await container.start();
    const started = new Date().toISOString();
    await records.put({
      user,
      state: 'running',
      image: 'python',
      started,
      container: container.id,
      accounted: Date.now(),
    });
    await routes.set({ user, target: 'http://127.0.0.1:9', token: 'unused' });
  }
}

interface Window {
  hubCpu: number;
  engineCpu: number;
  rss: number;
}

/** Runs a hub with `interval` over the servers, lets it settle, then measures a window of `seconds`. */
async function measure(redisUrl: string, secret: string, interval: number, seconds: number): Promise<Window> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-usage-'));
  let hub: ChildProcess | undefined;
  try {
    hub = await startProcess(BERTH_BIN, ['serve'], 'Berth is running at', {
      REDIS_URL: redisUrl,
      HUB_SECRET: secret,
      HUB_PORT: String(await freePort()),
      HUB_NAME: HUB,
      HUB_NETWORK: HUB,
      HUB_SERVER_ACCESS: 'port',
      HUB_BUILD_IMAGES: 'never',
      HUB_LOG_LEVEL: 'warn',
      HUB_DATA_DIR: dataDir,
      HUB_USAGE_INTERVAL: String(interval),
      HUB_HOME_SIZE_INTERVAL: '0',
    });
    await sleep(INTERVAL_S * 1500);
    const engine = dockerdPid();
    const [hub0, engine0] = [cpuSeconds(hub.pid!), cpuSeconds(engine)];
    await sleep(seconds * 1000);
    return {
      hubCpu: cpuSeconds(hub.pid!) - hub0,
      engineCpu: cpuSeconds(engine) - engine0,
      rss: rssMiB(hub.pid!),
    };
  } finally {
    await stop(hub);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function usageBench(opts: UsageBenchOptions): Promise<Row[]> {
  const redis = await startRedis();
  try {
    await fakeServers(opts.docker, redis.client(), opts.servers);
    const off = await measure(redis.url, opts.secret, 0, opts.seconds);
    const on = await measure(redis.url, opts.secret, INTERVAL_S, opts.seconds);
    const records = await new ServerStore(redis.client()).list();
    if (records.length !== opts.servers) throw new Error(`the hub kept ${records.length} of ${opts.servers} servers`);
    const readings = opts.servers * (opts.seconds / INTERVAL_S);
    const perReading = (on.hubCpu - off.hubCpu + (on.engineCpu - off.engineCpu)) / readings;
    const n = opts.servers;
    const both = (w: Window) => ({
      hub_cpu_s: Number(w.hubCpu.toFixed(2)),
      engine_cpu_s: Number(w.engineCpu.toFixed(2)),
    });
    return [
      {
        section: 'usage',
        case: `hub + engine CPU, ${n} servers sampled every ${INTERVAL_S} s (${opts.seconds} s window)`,
        unit: '% of a core',
        berth: (100 * (on.hubCpu + on.engineCpu)) / opts.seconds,
        other: { name: 'sampling off', value: (100 * (off.hubCpu + off.engineCpu)) / opts.seconds },
        detail: { ...both(on), off_hub_cpu_s: both(off).hub_cpu_s, off_engine_cpu_s: both(off).engine_cpu_s },
      },
      {
        section: 'usage',
        case: `cost of one reading (hub + engine, ${Math.round(readings)} readings)`,
        unit: 'ms CPU',
        berth: perReading * 1000,
        detail: { per_server_percent_of_a_core: Number(((100 * perReading) / INTERVAL_S).toFixed(3)) },
      },
      {
        section: 'usage',
        case: `hub memory with ${n} servers sampled`,
        unit: 'MiB',
        berth: on.rss,
        other: { name: 'sampling off', value: off.rss },
      },
    ];
  } finally {
    await removeHubObjects(HUB);
    await redis.stop();
  }
}
