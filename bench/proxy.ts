/**
 * The proxy benchmark: the same load (wrk, from its own process) against a backend directly,
 * through configurable-http-proxy, and through Berth's proxy (`berth proxy`, its own process,
 * reading the route and the session from a real Redis on every request). Backends: a trivial
 * Node server and a real notebook server in a container; small and 1 MiB bodies; concurrency
 * 1, 10 and 50. Then WebSocket echo round trips, small and 1 MiB, 1 and 10 connections.
 */
import path from 'node:path';
import type Docker from 'dockerode';
import Keygrip from 'keygrip';
import { ROOT } from '../src/paths';
import { RedisRouteStore } from '../src/store/routes';
import { SessionStore } from '../src/store/sessions';
import { freePort, type TestRedis } from '../test/helpers/redis';
import { request } from './lib/http';
import { runProcess, startProcess, stop } from './lib/procs';
import type { Row } from './lib/report';
import { type LoadResult, wrk } from './lib/wrk';

export interface ProxyBenchOptions {
  redis: TestRedis;
  docker: Docker;
  secret: string;
  seconds: number;
  concurrencies: number[];
  quick: boolean;
}

const BERTH = path.join(ROOT, 'dist', 'src', 'main.js');
const CHP = path.join(ROOT, 'node_modules', 'configurable-http-proxy', 'bin', 'configurable-http-proxy');
const BENCH_DIST = path.join(ROOT, 'dist', 'bench');
const SERVER_TOKEN = 'bench-server-token';
const SESSION_ID = 'bench-session-of-alice';

interface Targets {
  direct: string;
  chp: string;
  berth: string;
}

async function startProxies(opts: ProxyBenchOptions, backendUrl: string) {
  const berthPort = await freePort();
  const chpPort = await freePort();
  const chpApi = await freePort();
  // Run as people run it: the bin, with the Node flags its first line sets.
  const berth = await startProcess(BERTH, ['proxy'], 'Berth proxy is running', {
    REDIS_URL: opts.redis.url,
    HUB_SECRET: opts.secret,
    PROXY_PORT: String(berthPort),
    PROXY_HUB_URL: 'http://127.0.0.1:9',
    HUB_LOG_LEVEL: 'warn',
  });
  const chp = await startProcess(
    process.execPath,
    [
      CHP,
      '--ip',
      '127.0.0.1',
      '--port',
      String(chpPort),
      '--api-ip',
      '127.0.0.1',
      '--api-port',
      String(chpApi),
      '--default-target',
      backendUrl,
      '--log-level',
      'info',
    ],
    /Proxying/,
    { CONFIGPROXY_AUTH_TOKEN: 'bench' },
  );
  return { berth, chp, berthPort, chpPort };
}

function cookieOf(secret: string): string {
  const sig = new Keygrip([secret]).sign(`berth-session=${SESSION_ID}`);
  return `berth-session=${SESSION_ID}; berth-session.sig=${sig}`;
}

/**
 * Runs each target in turn for one case, so the three see the same machine state; each gets a
 * short warm-up first (the JIT), which is not counted.
 */
async function compare(
  targets: Targets,
  pathname: string,
  c: number,
  seconds: number,
  headers: { direct: Record<string, string>; chp: Record<string, string>; berth: Record<string, string> },
) {
  const out: Record<keyof Targets, LoadResult> = {} as Record<keyof Targets, LoadResult>;
  for (const name of ['direct', 'chp', 'berth'] as const) {
    await wrk({ url: `${targets[name]}${pathname}`, connections: c, seconds: 1, headers: headers[name] });
    out[name] = await wrk({ url: `${targets[name]}${pathname}`, connections: c, seconds, headers: headers[name] });
    if (out[name].errors > 0)
      throw new Error(`${name} ${pathname} c=${c}: ${out[name].errors} errors of ${out[name].requests} requests`);
  }
  return out;
}

async function notebookContainer(docker: Docker): Promise<{ container: Docker.Container; url: string }> {
  const port = await freePort();
  const container = await docker.createContainer({
    name: `berthbench-notebook-${port}`,
    Image: 'berth/python:latest',
    Env: [`BERTH_SERVER_TOKEN=${SERVER_TOKEN}`, 'BERTH_BASE_URL=/user/alice/', 'BERTH_USER=alice'],
    Labels: { 'berth.hub': 'berthbench' },
    User: '1000:100',
    HostConfig: {
      PortBindings: { '8888/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] },
      Init: true,
      CapDrop: ['ALL'],
    },
  });
  await container.start();
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (
      (await request(`${url}/user/alice/api/status`, { headers: { authorization: `token ${SERVER_TOKEN}` } }, 2000))
        .status === 200
    )
      break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // A 1 MiB file for the large-body case.
  const put = await request(`${url}/user/alice/api/contents/big.txt`, {
    method: 'PUT',
    headers: { authorization: `token ${SERVER_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'file', format: 'text', content: 'x'.repeat(1024 * 1024) }),
  });
  if (put.status !== 201 && put.status !== 200) throw new Error(`could not write the 1 MiB file: ${put.status}`);
  return { container, url };
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
    let targets: Targets = {
      direct: backendUrl,
      chp: `http://127.0.0.1:${proxies.chpPort}`,
      berth: `http://127.0.0.1:${proxies.berthPort}`,
    };
    const plain = { direct: {}, chp: {}, berth: { cookie } };
    for (const body of opts.quick ? ['small'] : ['small', 'big']) {
      for (const c of opts.concurrencies) {
        const r = await compare(targets, `/user/alice/${body}`, c, opts.seconds, plain);
        const gated = body === 'small' && c >= 10;
        rows.push({
          section: 'proxy',
          case: `trivial backend, ${body === 'small' ? 'small' : '1 MiB'} body, c=${c}`,
          unit: 'req/s',
          berth: r.berth.requestsPerSecond,
          other: { name: 'CHP', value: r.chp.requestsPerSecond },
          detail: {
            directRps: r.direct.requestsPerSecond,
            berthP50: r.berth.p50Ms,
            berthP99: r.berth.p99Ms,
            chpP50: r.chp.p50Ms,
            chpP99: r.chp.p99Ms,
            directP99: r.direct.p99Ms,
          },
          target: gated ? '>= 3x CHP, p99 <= CHP' : undefined,
          met: gated
            ? r.berth.requestsPerSecond >= 3 * r.chp.requestsPerSecond && r.berth.p99Ms <= r.chp.p99Ms
            : undefined,
        });
        rows.push({
          section: 'proxy',
          case: `  same, p99 latency`,
          unit: 'ms',
          berth: r.berth.p99Ms,
          other: { name: 'CHP', value: r.chp.p99Ms },
          detail: { direct: r.direct.p99Ms },
        });
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
    // A real notebook server: CHP and direct send its token themselves; Berth injects it.
    notebook = await notebookContainer(opts.docker);
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
        const r = await compare(targets, pathname, c, opts.seconds, { direct: auth, chp: auth, berth: { cookie } });
        rows.push({
          section: 'proxy',
          case: `notebook server, ${label}, c=${c}`,
          unit: 'req/s',
          berth: r.berth.requestsPerSecond,
          other: { name: 'direct', value: r.direct.requestsPerSecond },
          detail: {
            chpRps: r.chp.requestsPerSecond,
            berthP99: r.berth.p99Ms,
            chpP99: r.chp.p99Ms,
            directP99: r.direct.p99Ms,
          },
          target: '>= 0.95x direct',
          met: r.berth.requestsPerSecond >= 0.95 * r.direct.requestsPerSecond,
        });
      }
    }
  } finally {
    await Promise.all([stop(proxies.berth), stop(proxies.chp), stop(backend)]);
    await notebook?.container.remove({ force: true }).catch(() => undefined);
  }
  return rows;
}
