/**
 * The proxies the benchmark compares, each its own process in front of one backend: `berth proxy`
 * (as people run it, reading the route and the session from a real Redis on every request),
 * configurable-http-proxy, and for the files section a minimal pipe in Node and Debian's nginx
 * (a proxy written in C: the limit of this machine); the notebook server they stand in front of;
 * and the load run against each in turn.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import Keygrip from 'keygrip';
import { ROOT } from '../../src/paths';
import { freePort, type TestRedis } from '../../test/helpers/redis';
import { median } from './class';
import { request } from './http';
import { BERTH_BIN, runProcess, startProcess } from './procs';
import { type LoadOptions, type LoadResult, wrk } from './wrk';

const CHP = path.join(ROOT, 'node_modules', 'configurable-http-proxy', 'bin', 'configurable-http-proxy');
export const BENCH_DIST = path.join(ROOT, 'dist', 'bench');
export const SERVER_TOKEN = 'bench-server-token';
export const SESSION_ID = 'bench-session-of-alice';

export interface ProxyProcesses {
  berth: ChildProcess;
  chp: ChildProcess;
  berthPort: number;
  chpPort: number;
}

export async function startProxies(
  opts: { redis: TestRedis; secret: string },
  backendUrl: string,
): Promise<ProxyProcesses> {
  const berthPort = await freePort();
  const chpPort = await freePort();
  const chpApi = await freePort();
  // Run as people run it: the bin, with the settings it picks for the proxy.
  const berth = await startProcess(BERTH_BIN, ['proxy'], 'Berth proxy is running', {
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

/** The minimal pipe in Node (bench/node-pipe.ts) in front of `backendUrl`; resolves it and its port. */
export async function startNodePipe(backendUrl: string): Promise<{ process: ChildProcess; port: number }> {
  const port = await freePort();
  const child = await startProcess(
    process.execPath,
    [path.join(BENCH_DIST, 'node-pipe.js'), String(port), backendUrl],
    'ready',
  );
  return { process: child, port };
}

/** Whether Debian's nginx is installed (`apt-get install nginx-light`). */
export async function hasNginx(): Promise<boolean> {
  return runProcess('nginx', ['-v']).then(
    () => true,
    () => false,
  );
}

/**
 * nginx in front of `backendUrl` with one worker process (a proxy process, like the others), kept-alive
 * connections to the backend, and neither requests nor answers buffered (streamed, as the others do).
 */
export async function startNginx(backendUrl: string): Promise<{ process: ChildProcess; port: number; dir: string }> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-nginx-'));
  const upstream = new URL(backendUrl).host;
  fs.writeFileSync(
    path.join(dir, 'nginx.conf'),
    `user root root;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_max_body_size 64m;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream notebook { server ${upstream}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://notebook;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_buffering off;
      proxy_request_buffering off;
    }
  }
}
`,
  );
  const child = await startProcess(
    'nginx',
    ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'],
    '',
    {},
  );
  for (let i = 0; i < 100 && (await request(`http://127.0.0.1:${port}/`, {}, 1000)).status === 0; i++)
    await new Promise((r) => setTimeout(r, 50));
  return { process: child, port, dir };
}

export function cookieOf(secret: string): string {
  const sig = new Keygrip([secret]).sign(`berth-session=${SESSION_ID}`);
  return `berth-session=${SESSION_ID}; berth-session.sig=${sig}`;
}

/**
 * Runs one case against every target: `rounds` samples each, in an order that reverses every
 * round (so that no target always runs first, or just after the heaviest), the case's seconds
 * split between them; each target's numbers are the medians of its samples, since one sample
 * can land on a GC or a noisy second. A short warm-up first (the JIT) is not counted. `load` is
 * the case less its URL and headers.
 */
export async function compare<T extends string>(
  targets: Record<T, string>,
  pathname: string,
  headers: Record<T, Record<string, string>>,
  load: Omit<LoadOptions, 'url' | 'headers'>,
  rounds: number,
): Promise<Record<T, LoadResult>> {
  const names = Object.keys(targets) as T[];
  const options = (name: T) => ({ ...load, url: `${targets[name]}${pathname}`, headers: headers[name] });
  const samples = Object.fromEntries(names.map((name) => [name, [] as LoadResult[]])) as Record<T, LoadResult[]>;
  for (const name of names) await wrk({ ...options(name), seconds: 1 });
  const seconds = Math.max(2, Math.ceil(load.seconds / rounds));
  for (let round = 0; round < rounds; round++) {
    for (const name of round % 2 ? [...names].reverse() : names) {
      const sample = await wrk({ ...options(name), seconds });
      if (sample.errors > 0)
        throw new Error(`${name} ${pathname} c=${load.connections}: ${sample.errors} errors of ${sample.requests}`);
      samples[name].push(sample);
    }
  }
  const middle = (xs: LoadResult[], key: keyof LoadResult) => median(xs.map((x) => x[key]));
  const out = {} as Record<T, LoadResult>;
  for (const name of names) {
    const xs = samples[name];
    out[name] = {
      requestsPerSecond: middle(xs, 'requestsPerSecond'),
      p50Ms: middle(xs, 'p50Ms'),
      p95Ms: middle(xs, 'p95Ms'),
      p99Ms: middle(xs, 'p99Ms'),
      requests: xs.reduce((sum, x) => sum + x.requests, 0),
      errors: 0,
    };
  }
  return out;
}

/** A notebook server (berth/python) answering to the server token on a port of 127.0.0.1, with `files` (name → bytes) in its home. */
export async function notebookContainer(
  docker: Docker,
  files: Record<string, number>,
): Promise<{ container: Docker.Container; url: string }> {
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
  const auth = { authorization: `token ${SERVER_TOKEN}` };
  for (let i = 0; i < 300; i++) {
    if ((await request(`${url}/user/alice/api/status`, { headers: auth }, 2000)).status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const [name, bytes] of Object.entries(files)) {
    const put = await request(
      `${url}/user/alice/api/contents/${name}`,
      {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'file', format: 'text', content: 'x'.repeat(bytes) }),
      },
      60_000,
    );
    if (put.status !== 201 && put.status !== 200) throw new Error(`could not write ${name}: ${put.status}`);
  }
  return { container, url };
}
