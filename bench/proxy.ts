/**
 * The proxy benchmark: the same load (wrk, from its own process) against a backend directly,
 * through configurable-http-proxy, and through Berth's proxy (`berth proxy`, its own process,
 * reading the route and the session from a real Redis on every request). Backends: a trivial
 * Node server and a real notebook server in a container; small and 1 MiB bodies; concurrency
 * 1, 10 and 50. Then WebSocket echo round trips, small and 1 MiB, 1 and 10 connections, and
 * each proxy's memory per open WebSocket with many held open at once.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { RedisRouteStore } from '../src/store/routes';
import { SessionStore } from '../src/store/sessions';
import { freePort, type TestRedis } from '../test/helpers/redis';
import { median } from './lib/class';
import { rssMiB, runProcess, startProcess, stop } from './lib/procs';
import {
  BENCH_DIST,
  compare,
  cookieOf,
  notebookContainer,
  SERVER_TOKEN,
  SESSION_ID,
  startProxies,
} from './lib/proxies';
import type { Row } from './lib/report';
import type { LoadResult } from './lib/wrk';

export interface ProxyBenchOptions {
  redis: TestRedis;
  docker: Docker;
  secret: string;
  seconds: number;
  /** Samples per target and case, alternating (compare's rounds). */
  rounds: number;
  concurrencies: number[];
  quick: boolean;
}

/**
 * One case's two rows: requests/s and p99 beside CHP, judged by issue 18's bar (at least CHP's
 * rate, at most its p99). The backend directly is kept in the detail.
 */
function againstChp(name: string, r: Record<'direct' | 'chp' | 'berth', LoadResult>): Row[] {
  return [
    {
      section: 'proxy',
      case: name,
      unit: 'req/s',
      berth: r.berth.requestsPerSecond,
      other: { name: 'CHP', value: r.chp.requestsPerSecond },
      detail: {
        directRps: r.direct.requestsPerSecond,
        berthP50: r.berth.p50Ms,
        chpP50: r.chp.p50Ms,
        berthP99: r.berth.p99Ms,
        chpP99: r.chp.p99Ms,
        directP99: r.direct.p99Ms,
      },
      target: '>= CHP, p99 <= CHP',
      met: r.berth.requestsPerSecond >= r.chp.requestsPerSecond && r.berth.p99Ms <= r.chp.p99Ms,
    },
    {
      section: 'proxy',
      case: '  same, p99 latency',
      unit: 'ms',
      berth: r.berth.p99Ms,
      other: { name: 'CHP', value: r.chp.p99Ms },
      detail: { direct: r.direct.p99Ms },
    },
  ];
}

/** The median of a few readings of a process's memory, a second apart (one reading can land before or after a GC). */
async function steadyRssMiB(pid: number): Promise<number> {
  const readings: number[] = [];
  for (let i = 0; i < 5; i++, await sleep(1000)) readings.push(rssMiB(pid));
  return median(readings);
}

/**
 * What `proxy` holds per open WebSocket, KiB: its memory with `n` sockets open through it (each
 * after one echo, then idle), less its memory before, over n.
 */
async function memoryPerSocket(proxy: ChildProcess, url: string, n: number, cookie = ''): Promise<number> {
  const before = await steadyRssMiB(proxy.pid!);
  const holder = await startProcess(
    process.execPath,
    [path.join(BENCH_DIST, 'ws-hold.js'), url, String(n), cookie],
    'open',
  );
  try {
    return (((await steadyRssMiB(proxy.pid!)) - before) * 1024) / n;
  } finally {
    await stop(holder);
  }
}

export async function proxyBench(opts: ProxyBenchOptions): Promise<Row[]> {
  const rows: Row[] = [];
  const routes = new RedisRouteStore(opts.redis.client());
  await new SessionStore(opts.redis.client()).set(SESSION_ID, { passport: { user: 'alice' } }, 24 * 3600 * 1000);
  const cookie = cookieOf(opts.secret);
  const backendPort = await freePort();
  const backend = await startProcess(
    process.execPath,
    [path.join(BENCH_DIST, 'backend.js'), String(backendPort)],
    'ready',
  );
  const backendUrl = `http://127.0.0.1:${backendPort}`;
  let proxies = await startProxies(opts, backendUrl);
  let notebook: { container: Docker.Container; url: string } | undefined;
  try {
    // The trivial backend.
    await routes.set({ user: 'alice', target: backendUrl, token: SERVER_TOKEN });
    let targets = {
      direct: backendUrl,
      chp: `http://127.0.0.1:${proxies.chpPort}`,
      berth: `http://127.0.0.1:${proxies.berthPort}`,
    };
    const plain = { direct: {}, chp: {}, berth: { cookie } };
    for (const body of opts.quick ? ['small'] : ['small', 'big']) {
      for (const c of opts.concurrencies) {
        const load = { connections: c, seconds: opts.seconds };
        const r = await compare(targets, `/user/alice/${body}`, plain, load, opts.rounds);
        rows.push(...againstChp(`trivial backend, ${body === 'small' ? 'small' : '1 MiB'} body, c=${c}`, r));
      }
    }
    // WebSocket echo round trips on the same backend.
    const wsTargets = { direct: backendUrl, chp: targets.chp, berth: targets.berth };
    for (const size of opts.quick ? [16] : [16, 1024 * 1024]) {
      for (const c of [1, 10]) {
        const result: Record<string, number> = {};
        for (const [name, base] of Object.entries(wsTargets)) {
          const out = await runProcess(process.execPath, [
            path.join(BENCH_DIST, 'ws-load.js'),
            `${base.replace('http', 'ws')}/user/alice/ws`,
            String(c),
            String(size),
            String(opts.seconds),
            name === 'berth' ? cookie : '',
          ]);
          const parsed = JSON.parse(out.trim().split('\n').pop()!) as { messagesPerSecond: number; failures: number };
          if (parsed.failures > 0) throw new Error(`websocket ${name}: ${parsed.failures} connections failed`);
          result[name] = parsed.messagesPerSecond;
        }
        rows.push({
          section: 'websocket',
          case: `echo, ${size === 16 ? '16 B' : '1 MiB'} messages, ${c} connection${c > 1 ? 's' : ''}`,
          unit: 'msg/s',
          berth: result.berth,
          other: { name: 'CHP', value: result.chp },
          detail: { direct: result.direct },
          target: '>= 1.5x CHP',
          met: result.berth >= 1.5 * result.chp,
        });
      }
    }
    // Many sockets held open at once (CHP #465), so that each one's cost stands above the noise of a Node process's memory.
    const held = opts.quick ? 200 : 2000;
    const heldBerth = await memoryPerSocket(
      proxies.berth,
      `${wsTargets.berth.replace('http', 'ws')}/user/alice/ws`,
      held,
      cookie,
    );
    const heldChp = await memoryPerSocket(proxies.chp, `${wsTargets.chp.replace('http', 'ws')}/user/alice/ws`, held);
    rows.push({
      section: 'websocket',
      case: `the proxy's memory per open WebSocket, ${held.toLocaleString('en')} open`,
      unit: 'KiB',
      berth: heldBerth,
      other: { name: 'CHP', value: heldChp },
      target: '<= CHP',
      met: heldBerth <= heldChp,
    });
    // A real notebook server: CHP and direct send its token themselves; Berth injects it.
    notebook = await notebookContainer(opts.docker, { 'big.txt': 1024 * 1024 });
    await routes.set({ user: 'alice', target: notebook.url, token: SERVER_TOKEN });
    await Promise.all([stop(proxies.berth), stop(proxies.chp)]);
    proxies = await startProxies(opts, notebook.url);
    targets = {
      direct: notebook.url,
      chp: `http://127.0.0.1:${proxies.chpPort}`,
      berth: `http://127.0.0.1:${proxies.berthPort}`,
    };
    const auth = { authorization: `token ${SERVER_TOKEN}` };
    for (const [label, pathname] of opts.quick
      ? [['api/status', '/user/alice/api/status']]
      : [
          ['api/status', '/user/alice/api/status'],
          ['1 MiB file', '/user/alice/files/big.txt'],
        ]) {
      for (const c of opts.concurrencies) {
        const headers = { direct: auth, chp: auth, berth: { cookie } };
        const r = await compare(targets, pathname, headers, { connections: c, seconds: opts.seconds }, opts.rounds);
        rows.push(...againstChp(`notebook server, ${label}, c=${c}`, r));
      }
    }
  } finally {
    await Promise.all([stop(proxies.berth), stop(proxies.chp), stop(backend)]);
    await notebook?.container.remove({ force: true }).catch(() => undefined);
  }
  return rows;
}
