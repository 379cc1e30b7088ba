/**
 * Classroom load: N users, each with a real notebook server (berth/python, started through the
 * hub as a class would) and one kernel, work at once (classroom-load.ts, a process of its own: a
 * small cell every 2 s, a 100 KB notebook opened every 10 s). The same load, on the same servers
 * and kernels, goes directly, through configurable-http-proxy (routes added through its REST API,
 * as JupyterHub does) and through `berth proxy` (its own process, reading routes and tokens from
 * the hub's Redis). Per path: execute round trip and contents latency, errors, the proxy's
 * CPU-seconds and its memory per open WebSocket.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT } from '../src/paths';
import { RedisRouteStore, type Route } from '../src/store/routes';
import { TokenStore } from '../src/store/tokens';
import { UserStore } from '../src/store/users';
import type { TestRedis } from '../test/helpers/redis';
import { freePort } from '../test/helpers/redis';
import { request, stopServers } from './lib/http';
import { cpuSeconds, rssMiB, startProcess, stop } from './lib/procs';
import type { Row } from './lib/report';

export interface ClassroomOptions {
  /** The hub that starts the servers, and its Redis. */
  url: string;
  redis: TestRedis;
  secret: string;
  sizes: number[];
  seconds: number;
}

type Way = 'direct' | 'chp' | 'berth';
const CHP = path.join(ROOT, 'node_modules', 'configurable-http-proxy', 'bin', 'configurable-http-proxy');
const NOTEBOOK = 'class.ipynb';

interface Member {
  name: string;
  token: string;
  route: Route;
  kernel: string;
}

interface Result {
  execute: number[];
  contents: number[];
  errors: number;
  problems: string[];
  cpu: number;
  /** The proxy's memory growth with every socket open, MiB. */
  grew: number;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : Number.NaN;
}

/** A notebook of about 100 KB: fifty cells of text and output. */
function notebook(): string {
  const line = 'x'.repeat(2000);
  const cells = Array.from({ length: 50 }, (_, i) => ({
    cell_type: 'code',
    metadata: {},
    execution_count: i,
    source: [`print(${i})  # ${line.slice(0, 40)}`],
    outputs: [{ output_type: 'stream', name: 'stdout', text: [line] }],
  }));
  return JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells });
}

/**
 * Waits until every member's server is ready (as its owner sees it through the hub's API), saying
 * how many are every 30 s; a server that is neither ready nor on its way ends the wait.
 */
async function everyoneReady(url: string, members: Array<{ name: string; token: string }>, timeoutMs: number) {
  const begun = Date.now();
  let said = begun;
  for (;;) {
    const states = await Promise.all(
      members.map(async ({ name, token }) => {
        const res = await request(`${url}/hub/api/users/${name}`, { headers: { authorization: `token ${token}` } });
        const model = JSON.parse(res.status === 200 ? res.body : '{}') as {
          servers?: Record<string, { ready?: boolean }>;
          pending?: string | null;
        };
        const server = model.servers?.[''];
        return { name, ready: server?.ready === true, failed: res.status === 200 && !server && !model.pending };
      }),
    );
    const failed = states.filter((s) => s.failed).map((s) => s.name);
    if (failed.length) throw new Error(`${failed.length} servers did not start (${failed.slice(0, 5).join(', ')} ...)`);
    const ready = states.filter((s) => s.ready).length;
    if (ready === members.length) return;
    if (Date.now() - begun > timeoutMs)
      throw new Error(`${ready} of ${members.length} servers ready after ${timeoutMs / 60_000} minutes`);
    if (Date.now() - said > 30_000) {
      process.stderr.write(`  ${ready} of ${members.length} servers ready\n`);
      said = Date.now();
    }
    await sleep(2000);
  }
}

/** `count` users with running servers started through the hub, a kernel each, and the notebook in each home. */
async function classOf(opts: ClassroomOptions, count: number): Promise<Member[]> {
  const client = opts.redis.client();
  const users = new UserStore(client);
  const tokens = new TokenStore(client);
  const names = Array.from({ length: count }, (_, i) => `class${String(i).padStart(3, '0')}`);
  const members: Array<{ name: string; token: string }> = [];
  for (const name of names) {
    await users.create(name, { admin: false });
    members.push({ name, token: (await tokens.create(name, { note: 'bench', scopes: ['inherit'] })).token });
  }
  await Promise.all(
    members.map(async ({ name, token }) => {
      const headers = { authorization: `token ${token}`, 'content-type': 'application/json' };
      const res = await request(
        `${opts.url}/hub/api/users/${name}/server`,
        { method: 'POST', headers, body: '{}' },
        300_000,
      );
      if (res.status !== 201 && res.status !== 202) throw new Error(`start ${name}: ${res.status} ${res.body}`);
    }),
  );
  await everyoneReady(opts.url, members, 15 * 60_000);
  const routes = new RedisRouteStore(client);
  const content = JSON.stringify({ type: 'notebook', format: 'json', content: JSON.parse(notebook()) });
  return Promise.all(
    members.map(async ({ name, token }) => {
      const route = (await routes.get(name)) as Route;
      const base = `${route.target}/user/${name}`;
      const headers = { authorization: `token ${route.token}`, 'content-type': 'application/json' };
      const put = await request(`${base}/api/contents/${NOTEBOOK}`, { method: 'PUT', headers, body: content }, 60_000);
      if (put.status !== 201 && put.status !== 200) throw new Error(`${name}: the notebook: ${put.status}`);
      const made = await request(`${base}/api/kernels`, { method: 'POST', headers, body: '{}' }, 120_000);
      if (made.status !== 201) throw new Error(`${name}: a kernel: ${made.status} ${made.body.slice(0, 200)}`);
      return { name, token, route, kernel: (JSON.parse(made.body) as { id: string }).id };
    }),
  );
}

/** Runs the load on `members` through `base(member)`, measuring `proxy` (none: direct). */
async function load(
  members: Member[],
  seconds: number,
  address: (m: Member) => { base: string; headers: Record<string, string> },
  proxy: ChildProcess | undefined,
): Promise<Result> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-classroom-'));
  const planFile = path.join(dir, 'plan.json');
  const users = members.map((m) => ({ name: m.name, kernel: m.kernel, ...address(m) }));
  fs.writeFileSync(planFile, JSON.stringify({ seconds, notebook: NOTEBOOK, users }));
  const pid = proxy?.pid;
  const before = pid ? rssMiB(pid) : 0;
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'bench', 'classroom-load.js'), planFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  let cpu0 = 0;
  let most = before;
  const sampler = setInterval(() => {
    if (pid) most = Math.max(most, rssMiB(pid));
  }, 500);
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.startsWith('open\n') && cpu0 === 0 && pid) cpu0 = cpuSeconds(pid);
  });
  await new Promise((r) => child.on('exit', r));
  clearInterval(sampler);
  fs.rmSync(dir, { recursive: true, force: true });
  const line = out.trim().split('\n').pop() ?? '{}';
  const result = JSON.parse(line) as Omit<Result, 'cpu' | 'grew'>;
  return { ...result, cpu: pid ? cpuSeconds(pid) - cpu0 : 0, grew: most - before };
}

async function startProxies(opts: ClassroomOptions, members: Member[]) {
  const berthPort = await freePort();
  const berth = await startProcess(path.join(ROOT, 'dist', 'src', 'main.js'), ['proxy'], 'Berth proxy is running', {
    REDIS_URL: opts.redis.url,
    HUB_SECRET: opts.secret,
    PROXY_PORT: String(berthPort),
    PROXY_HUB_URL: opts.url,
    HUB_LOG_LEVEL: 'warn',
  });
  const [chpPort, chpApi] = [await freePort(), await freePort()];
  const chp = await startProcess(
    process.execPath,
    [CHP, '--ip', '127.0.0.1', '--port', String(chpPort), '--api-ip', '127.0.0.1', '--api-port', String(chpApi)],
    /Proxying/,
    { CONFIGPROXY_AUTH_TOKEN: 'bench' },
  );
  for (const m of members) {
    const body = JSON.stringify({ target: m.route.target });
    const headers = { authorization: 'token bench', 'content-type': 'application/json' };
    const url = `http://127.0.0.1:${chpApi}/api/routes/user/${m.name}`;
    // CHP says it is proxying before its API port listens: nothing answering (0) is tried again.
    let res = await request(url, { method: 'POST', headers, body });
    for (let i = 0; res.status === 0 && i < 50; i++) {
      await sleep(200);
      res = await request(url, { method: 'POST', headers, body });
    }
    if (res.status !== 201) throw new Error(`CHP route for ${m.name}: ${res.status}`);
  }
  return { berth, berthPort, chp, chpPort };
}

export async function classroomBench(opts: ClassroomOptions): Promise<Row[]> {
  const members = await classOf(opts, Math.max(...opts.sizes));
  const proxies = await startProxies(opts, members);
  const rows: Row[] = [];
  try {
    for (const n of opts.sizes) {
      const some = members.slice(0, n);
      const byServer = (m: Member) => ({ authorization: `token ${m.route.token}` });
      const ways: Record<
        Way,
        [(m: Member) => { base: string; headers: Record<string, string> }, ChildProcess | undefined]
      > = {
        direct: [(m) => ({ base: `${m.route.target}/user/${m.name}`, headers: byServer(m) }), undefined],
        chp: [
          (m) => ({ base: `http://127.0.0.1:${proxies.chpPort}/user/${m.name}`, headers: byServer(m) }),
          proxies.chp,
        ],
        berth: [
          (m) => ({
            base: `http://127.0.0.1:${proxies.berthPort}/user/${m.name}`,
            headers: { authorization: `token ${m.token}` },
          }),
          proxies.berth,
        ],
      };
      const results = {} as Record<Way, Result>;
      for (const way of ['direct', 'chp', 'berth'] as const)
        results[way] = await load(some, opts.seconds, ...ways[way]);
      rows.push(...report(n, results));
    }
  } finally {
    await stop(proxies.berth);
    await stop(proxies.chp);
    // The class goes home: its servers stop, leaving the machine to the sections after.
    await stopServers(opts.url, members);
  }
  return rows;
}

function report(n: number, r: Record<Way, Result>): Row[] {
  const p = (way: Way, p: number) => percentile(r[way].execute, p);
  const errors = r.berth.errors + r.chp.errors + r.direct.errors;
  const judged = n >= 100;
  const perSocket = (way: Way) => (r[way].grew * 1024) / n;
  return [
    {
      section: 'classroom',
      case: `${n} users working, execute round trip`,
      unit: 'ms p99',
      berth: p('berth', 99),
      other: { name: 'CHP', value: p('chp', 99) },
      detail: {
        direct_p99: p('direct', 99),
        berth_p50: p('berth', 50),
        chp_p50: p('chp', 50),
        direct_p50: p('direct', 50),
        berth_max: p('berth', 100),
        executes: r.berth.execute.length,
        errors,
        ...(errors ? { problem: [...r.berth.problems, ...r.chp.problems, ...r.direct.problems][0] ?? '' } : {}),
      },
      target: judged ? '<= CHP and <= direct + 5 ms, no errors' : undefined,
      met: judged ? p('berth', 99) <= p('chp', 99) && p('berth', 99) <= p('direct', 99) + 5 && errors === 0 : undefined,
    },
    {
      section: 'classroom',
      case: `${n} users working, opening a 100 KB notebook`,
      unit: 'ms p99',
      berth: percentile(r.berth.contents, 99),
      other: { name: 'CHP', value: percentile(r.chp.contents, 99) },
      detail: { direct_p99: percentile(r.direct.contents, 99), berth_p50: percentile(r.berth.contents, 50) },
    },
    {
      section: 'classroom',
      case: `${n} users working, the proxy's CPU`,
      unit: 'CPU-s',
      berth: r.berth.cpu,
      other: { name: 'CHP', value: r.chp.cpu },
    },
    {
      section: 'classroom',
      case: `${n} users working, the proxy's memory per open WebSocket`,
      unit: 'KiB',
      berth: perSocket('berth'),
      other: { name: 'CHP', value: perSocket('chp') },
      target: judged ? '<= CHP' : undefined,
      met: judged ? perSocket('berth') <= perSocket('chp') : undefined,
    },
  ];
}
