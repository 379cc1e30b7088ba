/**
 * Many users: `berth serve` with 10,000 users in Redis (a third of them with recent activity):
 * GET /hub/api/users pages for every sort and a name filter (wrk, c=10, an admin's token), the
 * admin page's first paint in Chromium (from navigation until the table shows its rows), and the
 * hub's memory once quiet. JupyterHub's own figures for 1,000 users are in the README, for
 * orientation.
 */
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { hashPassword } from '../src/auth/password';
import { ActivityStore } from '../src/store/activity';
import type { RedisClient } from '../src/store/redis';
import { TokenStore } from '../src/store/tokens';
import { UserStore } from '../src/store/users';
import { launchChromium } from '../test/helpers/browser';
import { rssMiB } from './lib/procs';
import type { Row } from './lib/report';
import { wrk } from './lib/wrk';

export interface UsersBenchOptions {
  hub: ChildProcess;
  url: string;
  redis: RedisClient;
  users: number;
  seconds: number;
}

const PAGE = 'application/jupyterhub-pagination+json';
const QUIET_MS = 15_000;
const PAINTS = 5;

/** `count` users (and an admin), created as `berth user add` would, a third with activity in the last day. */
async function addUsers(redis: RedisClient, count: number): Promise<string> {
  const users = new UserStore(redis);
  const activity = new ActivityStore(redis);
  const hash = await hashPassword('bench-password');
  const now = Date.now();
  for (let i = 0; i < count; i += 100) {
    const batch = Array.from({ length: Math.min(100, count - i) }, (_, j) => `many${String(i + j).padStart(5, '0')}`);
    await Promise.all(batch.map((name) => users.create(name, { admin: false, passwordHash: hash })));
    await Promise.all(batch.filter((_, j) => (i + j) % 3 === 0).map((n, j) => activity.touch(n, now - j * 61_000)));
  }
  await users.create('manyadmin', { admin: true, passwordHash: hash });
  return (await new TokenStore(redis).create('manyadmin', { note: 'bench', scopes: ['inherit'] })).token;
}

/** Milliseconds from navigating to the admin page until its first rows are painted, median of a few. */
async function adminFirstPaint(url: string): Promise<number> {
  const browser = await launchChromium();
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${url}/hub/login`);
    await page.fill('#username_input', 'manyadmin');
    await page.fill('#password_input', 'bench-password');
    await page.click('#login_submit');
    await page.waitForURL('**/hub/home');
    const times: number[] = [];
    for (let i = 0; i < PAINTS; i++) {
      const begun = performance.now();
      await page.goto(`${url}/hub/admin`);
      await page.waitForSelector('#users tbody tr', { state: 'visible' });
      times.push(performance.now() - begun);
    }
    return times.sort((a, b) => a - b)[Math.floor(PAINTS / 2)];
  } finally {
    await browser.close();
  }
}

export async function usersBench(opts: UsersBenchOptions): Promise<Row[]> {
  const token = await addUsers(opts.redis, opts.users);
  const auth = { authorization: `token ${token}`, accept: PAGE };
  const n = opts.users.toLocaleString('en');
  const cases: Array<[string, string]> = [
    ['default order, page from the middle', `offset=${Math.floor(opts.users / 2)}&limit=50`],
    ['sort=name', 'sort=name&offset=200&limit=50'],
    ['sort=-last_activity', 'sort=-last_activity&limit=50'],
    ['sort=-memory (running servers first)', 'sort=-memory&limit=50'],
    ['name_filter=many012', 'name_filter=many012&limit=50'],
    ['state=inactive', 'state=inactive&limit=50'],
  ];
  const rows: Row[] = [];
  for (const [name, query] of cases) {
    const url = `${opts.url}/hub/api/users?${query}`;
    await wrk({ url, connections: 10, seconds: 1, headers: auth });
    const load = await wrk({ url, connections: 10, seconds: opts.seconds, headers: auth });
    if (load.errors) throw new Error(`users page (${name}): ${load.errors} errors`);
    rows.push({
      section: 'users',
      case: `GET /hub/api/users of ${n}, ${name}, c=10`,
      unit: 'ms p95',
      berth: load.p95Ms,
      detail: { rps: load.requestsPerSecond, p50: load.p50Ms, p99: load.p99Ms },
      target: 'p95 < 20 ms',
      met: load.p95Ms < 20,
    });
  }
  const paint = await adminFirstPaint(opts.url);
  rows.push({
    section: 'users',
    case: `admin page of ${n} users, first paint of the table (Chromium, median of ${PAINTS})`,
    unit: 'ms',
    berth: paint,
    target: '< 1000 ms',
    met: paint < 1000,
  });
  await sleep(QUIET_MS);
  const rss = rssMiB(opts.hub.pid!);
  rows.push({
    section: 'users',
    case: `memory of hub + proxy with ${n} users, after the load`,
    unit: 'MiB',
    berth: rss,
    target: '<= 100 MiB',
    met: rss <= 100,
  });
  return rows;
}
