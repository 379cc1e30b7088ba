/**
 * The hub benchmark, against `berth serve` as people run it (hub and proxy in one process):
 * its memory idle, with 1,000 users and after the load; a 50-user page of the 1,000 users and
 * one user's model (wrk, with an admin's token); and sign-ins with the production password
 * hashing.
 */
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { hashPassword } from '../src/auth/password';
import type { RedisClient } from '../src/store/redis';
import { TokenStore } from '../src/store/tokens';
import { UserStore } from '../src/store/users';
import { Client } from '../test/helpers/client';
import { request } from './lib/http';
import { rssMiB } from './lib/procs';
import type { Row } from './lib/report';
import { wrk } from './lib/wrk';

export interface HubBenchOptions {
  hub: ChildProcess;
  url: string;
  redis: RedisClient;
  seconds: number;
  users: number;
}

const PAGE = 'application/jupyterhub-pagination+json';

/**
 * Memory is read once the process has been quiet this long: about 10 s after the last burst of
 * work (start-up, or the load) V8's memory reducer collects and gives back what the burst left.
 * The reading 2 s after start is kept beside it, in the JSON.
 */
const QUIET_MS = 15_000;

export async function hubBench(opts: HubBenchOptions): Promise<Row[]> {
  const rows: Row[] = [];
  const pid = opts.hub.pid!;
  await sleep(2000);
  const justStarted = rssMiB(pid);
  await sleep(QUIET_MS - 2000);
  const idle = rssMiB(pid);
  const users = new UserStore(opts.redis);
  const hash = await hashPassword('bench-password');
  for (let i = 0; i < opts.users; i++)
    await users.create(`user${String(i).padStart(4, '0')}`, { admin: false, passwordHash: hash });
  await users.create('benchadmin', { admin: true, passwordHash: hash });
  const { token } = await new TokenStore(opts.redis).create('benchadmin', { note: 'bench', scopes: ['inherit'] });
  const auth = { authorization: `token ${token}`, accept: PAGE };
  await request(`${opts.url}/hub/api/users?limit=200`, { headers: auth });
  await sleep(QUIET_MS);
  const loaded = rssMiB(pid);

  const pageUrl = `${opts.url}/hub/api/users?offset=${Math.floor(opts.users / 2)}&limit=50`;
  const oneUrl = `${opts.url}/hub/api/users/user0042`;
  // A warm-up, unmeasured: the numbers are of a hub that has been serving, not of a cold JIT.
  for (const url of [pageUrl, oneUrl]) await wrk({ url, connections: 10, seconds: 2, headers: auth });
  const page = await wrk({ url: pageUrl, connections: 10, seconds: opts.seconds, headers: auth });
  if (page.errors) throw new Error(`users page: ${page.errors} errors`);
  rows.push({
    section: 'hub',
    case: `GET /hub/api/users, a 50-user page of ${opts.users}, c=10`,
    unit: 'ms p95',
    berth: page.p95Ms,
    other: { name: 'JupyterHub 3.0 p50 (issue)', value: 225 },
    detail: { rps: page.requestsPerSecond, p50: page.p50Ms, p99: page.p99Ms, jupyterhubRps: 69 },
    target: 'p95 < 20 ms',
    met: page.p95Ms < 20,
  });
  rows.push({
    section: 'hub',
    case: '  same, throughput',
    unit: 'req/s',
    berth: page.requestsPerSecond,
    other: { name: 'JupyterHub 3.0 (issue)', value: 69 },
  });

  const one = await wrk({ url: oneUrl, connections: 10, seconds: opts.seconds, headers: auth });
  if (one.errors) throw new Error(`user model: ${one.errors} errors`);
  rows.push({
    section: 'hub',
    case: 'GET /hub/api/users/<name>, c=10',
    unit: 'req/s',
    berth: one.requestsPerSecond,
    other: { name: 'JupyterHub 3.0 (issue)', value: 318 },
    detail: { p50: one.p50Ms, p95: one.p95Ms },
  });

  // Sign-ins: the real form, XSRF token and scrypt; every one makes a session.
  const client = new Client(opts.url);
  await client.xsrf();
  const form = { 'content-type': 'application/x-www-form-urlencoded', cookie: client.cookieHeader('/hub/') };
  const body = new URLSearchParams({
    _xsrf: client.cookie('_xsrf')!,
    username: 'user0007',
    password: 'bench-password',
  }).toString();
  const serial = await wrk({
    url: `${opts.url}/hub/login`,
    method: 'POST',
    connections: 1,
    seconds: opts.seconds,
    headers: form,
    body,
  });
  const parallel = await wrk({
    url: `${opts.url}/hub/login`,
    method: 'POST',
    connections: 10,
    seconds: opts.seconds,
    headers: form,
    body,
  });
  if (serial.errors || parallel.errors) throw new Error(`login: ${serial.errors + parallel.errors} errors`);
  rows.push({
    section: 'hub',
    case: 'login, scrypt N=2^14 r=8 p=5, one at a time',
    unit: 'ms p50',
    berth: serial.p50Ms,
    target: 'p50 < 50 ms',
    met: serial.p50Ms < 50,
    detail: { p95: serial.p95Ms },
  });
  rows.push({
    section: 'hub',
    case: 'login, c=10',
    unit: 'req/s',
    berth: parallel.requestsPerSecond,
    detail: { p50: parallel.p50Ms, p95: parallel.p95Ms },
  });

  await sleep(QUIET_MS);
  const after = rssMiB(pid);
  rows.push({
    section: 'hub',
    case: 'memory of hub + proxy, idle',
    unit: 'MiB',
    berth: idle,
    other: { name: 'JupyterHub + CHP (issue)', value: 75 + 58 },
    detail: { twoSecondsAfterStart: justStarted },
    target: '<= 70 MiB',
    met: idle <= 70,
  });
  rows.push({ section: 'hub', case: `memory, with ${opts.users} users`, unit: 'MiB', berth: loaded });
  rows.push({
    section: 'hub',
    case: 'memory, after the load',
    unit: 'MiB',
    berth: after,
    other: { name: 'JupyterHub + CHP (issue)', value: 84 + 100 },
    target: '<= 90 MiB',
    met: after <= 90,
  });
  return rows;
}
