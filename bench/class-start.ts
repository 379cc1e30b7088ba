/**
 * A class starting: N users press Start at once (the spawn section's measurement, beside the
 * Docker-API floor for N), and the same class scheduled (POST .../class-starts with a lead
 * long enough for N starts on this machine): at the bell every user asks their server at once,
 * and the wait is from the bell until each answers through the proxy.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { GroupStore } from '../src/store/groups';
import { TokenStore } from '../src/store/tokens';
import { UserStore } from '../src/store/users';
import { request, stopServers } from './lib/http';
import type { Row } from './lib/report';
import { type SpawnBenchOptions, spawnBench } from './spawn';

/** The bell rings this long after scheduling, on top of the lead. */
const SLACK_MS = 20_000;

async function waitAtTheBell(url: string, users: Array<{ name: string; token: string }>): Promise<number[]> {
  return Promise.all(
    users.map(async ({ name, token }) => {
      const begun = performance.now();
      for (;;) {
        const res = await request(
          `${url}/user/${name}/api/status`,
          { headers: { authorization: `token ${token}` } },
          5000,
        );
        if (res.status === 200) return (performance.now() - begun) / 1000;
        if (performance.now() - begun > 300_000) throw new Error(`${name}'s server did not answer at the bell`);
        await sleep(20);
      }
    }),
  );
}

/** `leadMinutes`: as the README advises, enough for the class's starts (50 take about 100 s on two cores). */
export async function classStartBench(
  opts: SpawnBenchOptions & { count: number; leadMinutes: number },
): Promise<Row[]> {
  const rows = await spawnBench({ ...opts, counts: [opts.count], rounds: 1, stopCount: opts.count });
  for (const row of rows) row.section = 'classroom';
  const users = new UserStore(opts.redis);
  const tokens = new TokenStore(opts.redis);
  const names = Array.from({ length: opts.count }, (_, i) => `spawn${String(i).padStart(2, '0')}`);
  const members = await Promise.all(
    names.map(async (name) => ({
      name,
      token: (await tokens.create(name, { note: 'bell', scopes: ['inherit'] })).token,
    })),
  );
  await users.create('bellringer', { admin: true });
  const admin = (await tokens.create('bellringer', { note: 'bench', scopes: ['inherit'] })).token;
  await new GroupStore(opts.redis).create('benchclass', names);
  const bell = Date.now() + opts.leadMinutes * 60_000 + SLACK_MS;
  const res = await request(`${opts.url}/hub/api/groups/benchclass/class-starts`, {
    method: 'POST',
    headers: { authorization: `token ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ at: new Date(bell).toISOString(), image: 'python', lead_minutes: opts.leadMinutes }),
  });
  if (res.status !== 201) throw new Error(`scheduling the class: ${res.status} ${res.body}`);
  await sleep(bell - Date.now());
  const waits = (await waitAtTheBell(opts.url, members)).sort((a, b) => a - b);
  rows.push({
    section: 'classroom',
    case: `${opts.count} scheduled (${opts.leadMinutes} min of lead): the wait at the bell, the longest`,
    unit: 's',
    berth: waits[waits.length - 1],
    detail: { median: waits[Math.floor(waits.length / 2)] },
    target: '< 1 s',
    met: waits[waits.length - 1] < 1,
  });
  await stopServers(opts.url, members);
  return rows;
}
