/**
 * The spawn benchmark: N users start at once through Berth (POST .../server; for a 202 the progress
 * stream until ready, as the pending page waits; then /user/<name>/api/status through the proxy
 * until 200), beside the floor: the same containers
 * (image, limits, volume, network, published port) made straight through the Docker API and
 * polled directly. Stops likewise (Berth's DELETE vs Docker's stop + remove). Berth and the
 * floor take turns, so both see the same machine.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import type { RedisClient } from '../src/store/redis';
import { TokenStore } from '../src/store/tokens';
import { UserStore } from '../src/store/users';
import { median } from './lib/class';
import { request, stopServers } from './lib/http';
import type { Row } from './lib/report';

export interface SpawnBenchOptions {
  url: string;
  redis: RedisClient;
  docker: Docker;
  /** The hub's HUB_NAME and HUB_NETWORK. */
  hubName: string;
  counts: number[];
  rounds: number;
  /** Stops are compared at this count. */
  stopCount: number;
}

const POLL_MS = 20;

const READY_WITHIN_MS = 300_000;
const SINGLE_START_ROUNDS = 3;

/** Resolves once `url` answers 200 (with `headers`), polling every 20 ms; fails after 5 minutes. */
async function until200(url: string, headers: Record<string, string>): Promise<void> {
  const deadline = performance.now() + READY_WITHIN_MS;
  for (;;) {
    const res = await request(url, { headers }, 2000);
    if (res.status === 200) return;
    if (performance.now() > deadline)
      throw new Error(
        `${url} did not answer 200 within ${READY_WITHIN_MS / 1000} s (last: ${res.status} ${res.body.slice(0, 300)})`,
      );
    await sleep(POLL_MS);
  }
}

/**
 * Waits on the start's progress stream, as the pending page does, until its last event: ready, or
 * failed (thrown). Polling the server through the proxy meanwhile would spend the hub's CPU, which
 * the starting servers need, on answering "not yet".
 */
async function untilReadyEvent(url: string, headers: Record<string, string>): Promise<void> {
  const { status, body } = await request(
    url,
    { headers: { ...headers, accept: 'text/event-stream' } },
    READY_WITHIN_MS,
  );
  const events = body.split('\n').filter((l) => l.startsWith('data: '));
  const last = events.length
    ? (JSON.parse(events[events.length - 1].slice('data: '.length)) as { ready?: boolean; message?: string })
    : undefined;
  if (!last?.ready) throw new Error(`${url}: ${status} ${last?.message ?? body.slice(0, 300)}`);
}

interface Timing {
  allReady: number;
  stopped: number;
}

async function berthRound(opts: SpawnBenchOptions, users: Array<{ name: string; token: string }>): Promise<Timing> {
  const t0 = performance.now();
  await Promise.all(
    users.map(async ({ name, token }) => {
      const headers = { authorization: `token ${token}` };
      const res = await request(
        `${opts.url}/hub/api/users/${name}/server`,
        { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{"image":"python"}' },
        120_000,
      );
      if (res.status !== 201 && res.status !== 202) throw new Error(`start ${name}: ${res.status} ${res.body}`);
      if (res.status === 202) await untilReadyEvent(`${opts.url}/hub/api/users/${name}/server/progress`, headers);
      await until200(`${opts.url}/user/${name}/api/status`, headers);
    }),
  );
  const allReady = (performance.now() - t0) / 1000;
  const s0 = performance.now();
  await stopServers(opts.url, users);
  return { allReady, stopped: (performance.now() - s0) / 1000 };
}

/** The same containers as Berth makes for the python image, straight through the Docker API. */
async function floorRound(
  opts: SpawnBenchOptions,
  count: number,
  image: { imageId: string; memory: number; cpu: number; pids: number },
): Promise<Timing> {
  const token = 'floor-token';
  const t0 = performance.now();
  const containers = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const name = `floor${i}`;
      await opts.docker.createVolume({ Name: `${opts.hubName}-home-${name}`, Labels: { 'berth.hub': opts.hubName } });
      const container = await opts.docker.createContainer({
        name: `${opts.hubName}-${name}`,
        Image: image.imageId,
        User: '1000:100',
        Env: [`BERTH_SERVER_TOKEN=${token}`, `BERTH_BASE_URL=/user/${name}/`, `BERTH_USER=${name}`],
        Labels: { 'berth.hub': opts.hubName, 'berth.kind': 'floor' },
        ExposedPorts: { '8888/tcp': {} },
        HostConfig: {
          Init: true,
          Mounts: [{ Type: 'volume', Source: `${opts.hubName}-home-${name}`, Target: '/home/jovyan' }],
          NetworkMode: opts.hubName,
          PortBindings: { '8888/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
          Memory: image.memory,
          MemorySwap: image.memory,
          NanoCpus: Math.round(image.cpu * 1e9),
          PidsLimit: image.pids,
          CapDrop: ['ALL'],
          SecurityOpt: ['no-new-privileges'],
        },
      });
      await container.start();
      const port = (await container.inspect()).NetworkSettings.Ports['8888/tcp'][0].HostPort;
      await until200(`http://127.0.0.1:${port}/user/${name}/api/status`, { authorization: `token ${token}` });
      return container;
    }),
  );
  const allReady = (performance.now() - t0) / 1000;
  const s0 = performance.now();
  await Promise.all(
    containers.map(async (c) => {
      await c.stop({ t: 5 }).catch(() => undefined);
      await c.remove({ force: true });
    }),
  );
  return { allReady, stopped: (performance.now() - s0) / 1000 };
}

export async function spawnBench(opts: SpawnBenchOptions): Promise<Row[]> {
  const users = new UserStore(opts.redis);
  const tokens = new TokenStore(opts.redis);
  const max = Math.max(...opts.counts, opts.stopCount);
  const all: Array<{ name: string; token: string }> = [];
  for (let i = 0; i < max; i++) {
    const name = `spawn${String(i).padStart(2, '0')}`;
    await users.create(name, { admin: false });
    all.push({ name, token: (await tokens.create(name, { note: 'bench', scopes: ['inherit'] })).token });
  }
  const info = await opts.docker.getImage('berth/python:latest').inspect();
  const labels = info.Config.Labels ?? {};
  const image = {
    imageId: info.Id,
    memory: 1024 ** 3,
    cpu: Number(labels['berth.limits.cpu'] ?? 1),
    pids: Number(labels['berth.limits.pids'] ?? 256),
  };
  if (labels['berth.limits.memory'] !== '1g') throw new Error('the python image is expected to ask for 1g');

  const rows: Row[] = [];
  const stops: { berth: number[]; floor: number[] } = { berth: [], floor: [] };
  for (const count of opts.counts) {
    const berth: number[] = [];
    const floor: number[] = [];
    // One start takes 1 to 1.5 s and varies by 10 % from run to run, as much as the margin being
    // judged; more rounds of it cost little and steady its median.
    const rounds = count === 1 ? SINGLE_START_ROUNDS * opts.rounds : opts.rounds;
    for (let round = 0; round < rounds; round++) {
      // Take turns, starting with the other one each round.
      const order = round % 2 === 0 ? (['floor', 'berth'] as const) : (['berth', 'floor'] as const);
      for (const who of order) {
        const t = who === 'berth' ? await berthRound(opts, all.slice(0, count)) : await floorRound(opts, count, image);
        (who === 'berth' ? berth : floor).push(t.allReady);
        if (count === opts.stopCount) stops[who].push(t.stopped);
        await sleep(1000);
      }
    }
    const jupyterhub: Record<number, number> = { 1: 2.8, 10: 21.1, 20: 38.2 };
    rows.push({
      section: 'spawn',
      case: `${count} at once, until all answer through the proxy`,
      unit: 's',
      berth: median(berth),
      other: { name: 'floor', value: median(floor) },
      detail: { rounds, ...(jupyterhub[count] ? { jupyterhubDockerSpawner: jupyterhub[count] } : {}) },
      target: '<= 1.1x floor',
      met: median(berth) <= 1.1 * median(floor),
    });
  }
  if (stops.berth.length) {
    rows.push({
      section: 'spawn',
      case: `stopping ${opts.stopCount} at once`,
      unit: 's',
      berth: median(stops.berth),
      other: { name: 'floor', value: median(stops.floor) },
      target: '<= 1.1x floor',
      met: median(stops.berth) <= 1.1 * median(stops.floor),
    });
  }
  return rows;
}
