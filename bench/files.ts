/**
 * Files through the proxies: 1 MiB and 10 MiB files downloaded from `/files/` and through the
 * contents API, and uploaded through the contents API, one and ten at a time, from a real notebook
 * server (berth/python). Berth's proxy beside configurable-http-proxy, the server directly, a
 * minimal pipe in Node (what any proxy in Node costs) and Debian's nginx with one worker (what a
 * proxy written in C costs: the limit of this machine), each its own process, in turn.
 */
import type Docker from 'dockerode';
import { RedisRouteStore } from '../src/store/routes';
import { SessionStore } from '../src/store/sessions';
import type { TestRedis } from '../test/helpers/redis';
import { stop } from './lib/procs';
import {
  compare,
  cookieOf,
  hasNginx,
  notebookContainer,
  SERVER_TOKEN,
  SESSION_ID,
  startNginx,
  startNodePipe,
  startProxies,
} from './lib/proxies';
import type { Row } from './lib/report';
import type { LoadOptions } from './lib/wrk';

export interface FilesBenchOptions {
  redis: TestRedis;
  docker: Docker;
  secret: string;
  seconds: number;
  /** Samples per target and case, alternating (compare's rounds). */
  rounds: number;
  /** File sizes in MiB. */
  sizes: number[];
  concurrencies: number[];
}

const MiB = 1024 * 1024;

interface Case {
  kind: string;
  pathname: string;
  /** How to load it, less the URL, the credentials, the connections and the time. */
  load: Omit<LoadOptions, 'url' | 'connections' | 'seconds'>;
}

function casesFor(mib: number): Case[] {
  const name = `file-${mib}.txt`;
  // The contents API takes a file as JSON; each of wrk's connections writes files of its own.
  const body = JSON.stringify({ type: 'file', format: 'text', content: 'y'.repeat(mib * MiB) });
  const uploads = Array.from({ length: 20 }, (_, i) => `/user/alice/api/contents/up-${mib}-${i}.txt`);
  return [
    { kind: 'download from /files/', pathname: `/user/alice/files/${name}`, load: {} },
    { kind: 'download, contents API', pathname: `/user/alice/api/contents/${name}`, load: {} },
    {
      kind: 'upload, contents API',
      pathname: uploads[0],
      load: { method: 'PUT', body, paths: uploads, headers: { 'content-type': 'application/json' } },
    },
  ] as Case[];
}

export async function filesBench(opts: FilesBenchOptions): Promise<Row[]> {
  const rows: Row[] = [];
  await new SessionStore(opts.redis.client()).set(SESSION_ID, { passport: { user: 'alice' } }, 24 * 3600 * 1000);
  const files = Object.fromEntries(opts.sizes.map((mib) => [`file-${mib}.txt`, mib * MiB]));
  const notebook = await notebookContainer(opts.docker, files);
  await new RedisRouteStore(opts.redis.client()).set({ user: 'alice', target: notebook.url, token: SERVER_TOKEN });
  const proxies = await startProxies(opts, notebook.url);
  const pipe = await startNodePipe(notebook.url);
  const nginx = (await hasNginx()) ? await startNginx(notebook.url) : undefined;
  try {
    const targets: Record<string, string> = {
      direct: notebook.url,
      chp: `http://127.0.0.1:${proxies.chpPort}`,
      ...(nginx ? { nginx: `http://127.0.0.1:${nginx.port}` } : {}),
      pipe: `http://127.0.0.1:${pipe.port}`,
      berth: `http://127.0.0.1:${proxies.berthPort}`,
    };
    const auth = { authorization: `token ${SERVER_TOKEN}` };
    for (const mib of opts.sizes) {
      for (const {
        kind,
        pathname,
        load: { headers: extra, ...load },
      } of casesFor(mib)) {
        for (const c of opts.concurrencies) {
          const headers = Object.fromEntries(
            Object.keys(targets).map((name) => [
              name,
              { ...extra, ...(name === 'berth' ? { cookie: cookieOf(opts.secret) } : auth) },
            ]),
          );
          const r = await compare(
            targets,
            pathname,
            headers,
            { ...load, connections: c, seconds: opts.seconds },
            opts.rounds,
          );
          const rate = (name: string) => (r[name]?.requestsPerSecond ?? 0) * mib;
          const [berth, chp, direct] = [rate('berth'), rate('chp'), rate('direct')];
          rows.push({
            section: 'files',
            case: `${mib} MiB, ${kind}, c=${c}`,
            unit: 'MiB/s',
            berth,
            other: { name: 'CHP', value: chp },
            detail: {
              direct,
              ...(nginx ? { nginx: rate('nginx') } : {}),
              nodePipe: rate('pipe'),
              berthP99: r.berth.p99Ms,
              chpP99: r.chp.p99Ms,
              directP99: r.direct.p99Ms,
            },
            target: c >= 10 ? '>= 1.5x CHP, >= 0.6x direct' : '>= 1.5x CHP',
            met: berth >= 1.5 * chp && (c < 10 || berth >= 0.6 * direct),
          });
        }
      }
    }
  } finally {
    await Promise.all([stop(proxies.berth), stop(proxies.chp), stop(pipe.process), stop(nginx?.process)]);
    await notebook.container.remove({ force: true }).catch(() => undefined);
  }
  return rows;
}
