/**
 * A class for the classroom sections: users with running notebook servers started through the
 * hub as a class would, a kernel each, and a notebook of about 100 KB in each home that names its
 * owner (so that a load can tell whose server answered).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisClient } from '../../src/store/redis';
import { RedisRouteStore, type Route } from '../../src/store/routes';
import { TokenStore } from '../../src/store/tokens';
import { UserStore } from '../../src/store/users';
import { request } from './http';

export const NOTEBOOK = 'class.ipynb';

export interface Member {
  name: string;
  /** The user's own API token (for the hub and `berth proxy`). */
  token: string;
  /** The route as the hub wrote it: the server's address and the token the server itself checks. */
  route: Route;
  kernel: string;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : Number.NaN;
}

/** The middle reading (the upper of the two middle ones for an even count). */
export function median(xs: number[]): number {
  return percentile(xs, 50);
}

/** A notebook of about 100 KB, fifty cells of text and output, with its owner in its metadata. */
function notebook(owner: string): object {
  const line = 'x'.repeat(2000);
  const cells = Array.from({ length: 50 }, (_, i) => ({
    cell_type: 'code',
    metadata: {},
    execution_count: i,
    source: [`print(${i})  # ${line.slice(0, 40)}`],
    outputs: [{ output_type: 'stream', name: 'stdout', text: [line] }],
  }));
  return { nbformat: 4, nbformat_minor: 5, metadata: { owner }, cells };
}

/**
 * Waits until every member's server is ready (as its owner sees it through the hub's API), saying
 * how many are every 30 s; a server that is neither ready nor on its way ends the wait.
 */
export async function everyoneReady(
  url: string,
  members: Array<{ name: string; token: string }>,
  timeoutMs: number,
): Promise<void> {
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

/** Each member presses Start (through the hub's API, with their own token), all at once; waits until all are ready. */
export async function startServers(url: string, members: Array<{ name: string; token: string }>): Promise<void> {
  await Promise.all(
    members.map(async ({ name, token }) => {
      const headers = { authorization: `token ${token}`, 'content-type': 'application/json' };
      const res = await request(
        `${url}/hub/api/users/${name}/server`,
        { method: 'POST', headers, body: '{}' },
        300_000,
      );
      if (res.status !== 201 && res.status !== 202) throw new Error(`start ${name}: ${res.status} ${res.body}`);
    }),
  );
  await everyoneReady(url, members, 15 * 60_000);
}

/** `count` users named `<prefix>000`... with running servers started through the hub at `url`, a kernel each, and the notebook in each home. */
export async function classOf(url: string, redis: RedisClient, count: number, prefix = 'class'): Promise<Member[]> {
  const users = new UserStore(redis);
  const tokens = new TokenStore(redis);
  const names = Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);
  const members: Array<{ name: string; token: string }> = [];
  for (const name of names) {
    await users.create(name, { admin: false });
    members.push({ name, token: (await tokens.create(name, { note: 'bench', scopes: ['inherit'] })).token });
  }
  await startServers(url, members);
  const routes = new RedisRouteStore(redis);
  return Promise.all(
    members.map(async ({ name, token }) => {
      const route = (await routes.get(name)) as Route;
      const base = `${route.target}/user/${name}`;
      const headers = { authorization: `token ${route.token}`, 'content-type': 'application/json' };
      const content = JSON.stringify({ type: 'notebook', format: 'json', content: notebook(name) });
      const put = await request(`${base}/api/contents/${NOTEBOOK}`, { method: 'PUT', headers, body: content }, 60_000);
      if (put.status !== 201 && put.status !== 200) throw new Error(`${name}: the notebook: ${put.status}`);
      const made = await request(`${base}/api/kernels`, { method: 'POST', headers, body: '{}' }, 120_000);
      if (made.status !== 201) throw new Error(`${name}: a kernel: ${made.status} ${made.body.slice(0, 200)}`);
      return { name, token, route, kernel: (JSON.parse(made.body) as { id: string }).id };
    }),
  );
}
