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
import type { TestRedis } from '../test/helpers/redis';
import { freePort } from '../test/helpers/redis';
import { classOf, type Member, NOTEBOOK, percentile } from './lib/class';
import { request, stopServers } from './lib/http';
import { BERTH_BIN, busySince, cpuSeconds, machineCpu, quietMachine, rssMiB, startProcess, stop } from './lib/procs';
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
/** Where a member's server is reached on one way, and with what credentials. */
type Address = (m: Member) => { base: string; headers: Record<string, string> };
const CHP = path.join(ROOT, 'node_modules', 'configurable-http-proxy', 'bin', 'configurable-http-proxy');

interface Result {
  execute: number[];
  contents: number[];
  errors: number;
  problems: string[];
  cpu: number;
  /** The proxy's memory with every socket open, before the work, less its memory before, MiB. */
  heldOpen: number;
  /** The proxy's most memory during the work, less its memory before, MiB. */
  grew: number;
  /** The share of the machine's two cores busy during the work (every process: the load, the servers, the proxy). */
  busy: number;
}

/** Runs the load on `members` through `base(member)`, measuring `proxy` (none: direct). */
async function load(
  members: Member[],
  seconds: number,
  address: Address,
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
  let still: Promise<{ cpu: number; rss: number; machine: ReturnType<typeof machineCpu> }> | undefined;
  let most = before;
  const sampler = setInterval(() => {
    if (pid) most = Math.max(most, rssMiB(pid));
  }, 500);
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    // The class sits still for 3 s once every socket is open: read the proxy then, before the work.
    if (out.startsWith('open\n') && !still)
      still = sleep(2000).then(() => ({
        cpu: pid ? cpuSeconds(pid) : 0,
        rss: pid ? rssMiB(pid) : 0,
        machine: machineCpu(),
      }));
  });
  await new Promise((r) => child.on('exit', r));
  clearInterval(sampler);
  fs.rmSync(dir, { recursive: true, force: true });
  const line = out.trim().split('\n').pop() ?? '{}';
  const result = JSON.parse(line) as Omit<Result, 'cpu' | 'heldOpen' | 'grew' | 'busy'>;
  const at = await (still ?? Promise.reject(new Error(`the class load ended before its sockets opened: ${line}`)));
  return {
    ...result,
    cpu: pid ? cpuSeconds(pid) - at.cpu : 0,
    heldOpen: pid ? at.rss - before : 0,
    grew: most - before,
    busy: busySince(at.machine),
  };
}

async function startProxies(opts: ClassroomOptions, members: Member[]) {
  const berthPort = await freePort();
  const berth = await startProcess(BERTH_BIN, ['proxy'], 'Berth proxy is running', {
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

/**
 * A class that has just started still has kernels booting: wait (up to 3 minutes) until the machine
 * is mostly idle, then let every kernel run cells for a while, and each proxy carry the class
 * briefly (its code compiled, its first-use setup done), uncounted, so that every way measured
 * meets the same machine.
 */
async function settle(members: Member[], seconds: number, ways: Record<Way, [Address, ChildProcess | undefined]>) {
  await quietMachine();
  await load(members, Math.min(seconds, 15), ...ways.direct);
  await load(members, Math.min(seconds, 5), ...ways.chp);
  await load(members, Math.min(seconds, 5), ...ways.berth);
}

export async function classroomBench(opts: ClassroomOptions): Promise<Row[]> {
  const members = await classOf(opts.url, opts.redis.client(), Math.max(...opts.sizes));
  const proxies = await startProxies(opts, members);
  const rows: Row[] = [];
  try {
    for (const n of opts.sizes) {
      const some = members.slice(0, n);
      const byServer = (m: Member) => ({ authorization: `token ${m.route.token}` });
      const ways: Record<Way, [Address, ChildProcess | undefined]> = {
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
      if (n === opts.sizes[0]) await settle(members, opts.seconds, ways);
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
  const perSocket = (way: Way) => (r[way].heldOpen * 1024) / n;
  const busy = (way: Way) => Math.round(r[way].busy * 100);
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
        machine_busy_pct_berth: busy('berth'),
        machine_busy_pct_chp: busy('chp'),
        machine_busy_pct_direct: busy('direct'),
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
      // The most the proxy grew during the work, per user: young-generation garbage as much as sockets.
      detail: { berth_grew_at_work: (r.berth.grew * 1024) / n, chp_grew_at_work: (r.chp.grew * 1024) / n },
      target: judged ? '<= CHP' : undefined,
      met: judged ? perSocket('berth') <= perSocket('chp') : undefined,
    },
  ];
}
