/**
 * `npm run bench` (or `npm run bench -- --quick`): Berth's whole benchmark in one go. Proxy
 * and WebSocket throughput beside configurable-http-proxy and the backend directly; the hub's
 * API, sign-ins and memory; spawning and stopping beside the Docker-API floor, on one engine and
 * (not in --quick) on a three-node swarm; what sampling 100 running servers' usage costs; a class
 * on one box (many users working at once, files, a class pressing Start, 10,000 users). Prints a table
 * of absolute numbers, ratios and targets with a note on the machine, and writes the same as
 * JSON to bench/results/. Targets are reported, not enforced: the exit code says only whether
 * the benchmark ran.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { ROOT } from '../src/paths';
import { removeHubObjects } from '../test/helpers/docker';
import { freePort, startRedis, type TestRedis } from '../test/helpers/redis';
import { classStartBench } from './class-start';
import { classroomBench } from './classroom';
import { filesBench } from './files';
import { hubBench } from './hub';
import { BERTH_BIN, startProcess, stop, stopAll } from './lib/procs';
import { machineNote, type Row, table, write } from './lib/report';
import { proxyBench } from './proxy';
import { soakBench } from './soak';
import { spawnBench } from './spawn';
import { swarmBench } from './swarm';
import { usageBench } from './usage';
import { usersBench } from './users';

const quick = process.argv.includes('--quick');
/** `--only=proxy,hub,spawn` runs some sections, for reruns while working on one. */
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
/** The sections of issue 18's classroom shape, run together by `--only=classroom`. */
const CLASSROOM = ['load', 'classstart', 'users', 'files'];
const runs = (section: string): boolean =>
  !only || only.includes(section) || (only.includes('classroom') && CLASSROOM.includes(section));
const SECRET = 'bench-secret-0123456789abcdefghijklmnopqrstuvwxyz';
const HUB_NAME = 'berthbench';
const plan = quick
  ? {
      seconds: 2,
      concurrencies: [10],
      counts: [1, 3],
      rounds: 1,
      stopCount: 3,
      users: 1000,
      usageServers: 20,
      usageSeconds: 20,
      manyUsers: 2000,
      classSize: 5,
      classLead: 1,
      classLoad: [3],
      classSeconds: 6,
      fileSizes: [1],
      fileConcurrencies: [10],
      soakUsers: 3,
      soakSeconds: [5, 20, 8],
    }
  : {
      seconds: 8,
      concurrencies: [1, 10, 50],
      counts: [1, 10, 20],
      rounds: 3,
      stopCount: 10,
      users: 1000,
      usageServers: 100,
      usageSeconds: 60,
      manyUsers: 10_000,
      classSize: 50,
      classLead: 3,
      classLoad: [50, 100],
      classSeconds: 60,
      fileSizes: [1, 10],
      fileConcurrencies: [1, 10],
      soakUsers: 100,
      soakSeconds: [60, 600, 30],
    };

const redises: TestRedis[] = [];
/** Every section's rows so far: a section that fails leaves those before it reported. */
const rows: Row[] = [];

/** `berth serve` as people run it (the `berth` command, with the settings it gives the hub), on a Redis of its own. */
async function serveHub(dataDir: string): Promise<{ hub: ChildProcess; url: string; redis: TestRedis }> {
  const redis = await startRedis();
  redises.push(redis);
  const port = await freePort();
  const hub = await startProcess(BERTH_BIN, ['serve'], 'Berth is running at', {
    REDIS_URL: redis.url,
    HUB_SECRET: SECRET,
    HUB_PORT: String(port),
    HUB_NAME,
    HUB_NETWORK: HUB_NAME,
    HUB_SERVER_ACCESS: 'port',
    HUB_BUILD_IMAGES: 'never',
    HUB_IMAGES: 'python',
    HUB_LOG_LEVEL: 'warn',
    HUB_DATA_DIR: dataDir,
  });
  return { hub, url: `http://127.0.0.1:${port}`, redis };
}

async function main(): Promise<void> {
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  await docker
    .getImage('berth/python:latest')
    .inspect()
    .catch(() => {
      throw new Error('berth/python is not built: run `npx berth images build` first');
    });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-'));
  try {
    if (runs('proxy')) {
      const proxyRedis = await startRedis();
      redises.push(proxyRedis);
      process.stderr.write('proxy and websocket ...\n');
      rows.push(
        ...(await proxyBench({
          redis: proxyRedis,
          docker,
          secret: SECRET,
          seconds: plan.seconds,
          rounds: plan.rounds,
          concurrencies: plan.concurrencies,
          quick,
        })),
      );
    }

    if (runs('files')) {
      const filesRedis = await startRedis();
      redises.push(filesRedis);
      process.stderr.write('files ...\n');
      const sizes = { sizes: plan.fileSizes, concurrencies: plan.fileConcurrencies };
      rows.push(
        ...(await filesBench({
          redis: filesRedis,
          docker,
          secret: SECRET,
          seconds: plan.seconds,
          rounds: plan.rounds,
          ...sizes,
        })),
      );
    }

    const { hub, url, redis: hubRedis } = await serveHub(dataDir);
    if (runs('hub')) {
      process.stderr.write('hub ...\n');
      rows.push(...(await hubBench({ hub, url, redis: hubRedis.client(), seconds: plan.seconds, users: plan.users })));
    }
    if (runs('spawn')) {
      process.stderr.write('spawn ...\n');
      rows.push(
        ...(await spawnBench({
          url,
          redis: hubRedis.client(),
          docker,
          hubName: HUB_NAME,
          counts: plan.counts,
          rounds: plan.rounds,
          stopCount: plan.stopCount,
        })),
      );
    }
    if (runs('load')) {
      process.stderr.write(`classroom load (${plan.classLoad.join(' and ')} users) ...\n`);
      const classroom = { url, redis: hubRedis, secret: SECRET, sizes: plan.classLoad, seconds: plan.classSeconds };
      rows.push(...(await classroomBench(classroom)));
    }
    if (runs('classstart')) {
      process.stderr.write(`class start (${plan.classSize} at once, then scheduled) ...\n`);
      const spawn = { url, redis: hubRedis.client(), docker, hubName: HUB_NAME, counts: [], rounds: 1, stopCount: 0 };
      rows.push(...(await classStartBench({ ...spawn, count: plan.classSize, leadMinutes: plan.classLead })));
    }
    if (runs('users')) {
      process.stderr.write(`many users (${plan.manyUsers}) ...\n`);
      // A hub of its own: its memory is that of many users, not of the sections before.
      const many = await serveHub(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-users-')));
      rows.push(
        ...(await usersBench({ ...many, redis: many.redis.client(), users: plan.manyUsers, seconds: plan.seconds })),
      );
      await stop(many.hub);
    }
    if (runs('usage')) {
      process.stderr.write(`usage sampling (${plan.usageServers} servers) ...\n`);
      const usage = { docker, secret: SECRET, servers: plan.usageServers, seconds: plan.usageSeconds };
      rows.push(...(await usageBench(usage)));
    }
    if (runs('swarm') && !quick) {
      process.stderr.write('swarm (three Docker-in-Docker nodes) ...\n');
      rows.push(...(await swarmBench()));
    }
    if (runs('soak')) {
      // Last: it restarts the Docker engine.
      process.stderr.write(`soak and faults (${plan.soakUsers} users) ...\n`);
      const [warmSeconds, soakSeconds, faultSeconds] = plan.soakSeconds;
      const soak = { docker, secret: SECRET, hubName: `${HUB_NAME}soak`, users: plan.soakUsers };
      rows.push(...(await soakBench({ ...soak, warmSeconds, soakSeconds, faultSeconds })));
    }
  } finally {
    await stopAll();
    await removeHubObjects(HUB_NAME);
    for (const r of redises) await r.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  printResults();
}

function printResults(): void {
  const note = machineNote();
  process.stdout.write(
    `\nBerth benchmark${quick ? ' (--quick)' : ''}: ${note.cpus} × ${note.cpu}, ${note.memoryGiB} GiB, ` +
      `Node ${note.node}, ${note.date}\n\n`,
  );
  process.stdout.write(`${table(rows)}\n\n`);
  const missed = rows.filter((r) => r.met === false);
  process.stdout.write(
    missed.length
      ? `Targets missed: ${missed.length} of ${rows.filter((r) => r.met !== undefined).length}.\n`
      : 'Every target met.\n',
  );
  process.stdout.write(`JSON: ${write(rows, quick, path.join(ROOT, 'bench', 'results'))}\n`);
}

async function abandon(why: string): Promise<never> {
  process.stderr.write(`bench failed: ${why}\n`);
  if (rows.length) printResults();
  await stopAll();
  await removeHubObjects(HUB_NAME).catch(() => undefined);
  for (const r of redises) await r.stop().catch(() => undefined);
  process.exit(1);
}

// Interrupted (Ctrl-C, or CI's timeout): still stop the processes and remove the containers.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void abandon(`interrupted (${signal})`));
main().catch((err) => abandon(String((err as Error).stack ?? err)));
