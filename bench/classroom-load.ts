/**
 * A class at work, from a process of its own: for each user a kernel and its WebSocket; every 2 s
 * each user executes a small cell (the time until its execute_reply is the round trip), every 10 s
 * opens a notebook of about 100 KB through the contents API; for a fixed time, the users' rhythms
 * spread over the period. Prints "open" once every socket is open; the class then sits still for
 * 3 s (the proxy's memory with every socket open is read then) and works; at the end it prints one
 * JSON line of results.
 *
 *   node dist/bench/classroom-load.js <plan.json>
 *   plan: { seconds, notebook, users: [{ name, base, headers, kernel }] }  (base: http://host:port/user/<name>;
 *   kernel: the id of a kernel already running there, which every path under test shares)
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import WebSocket from 'ws';
import { request } from './lib/http';
import { executeRequest } from './lib/kernel-message';

interface Plan {
  seconds: number;
  notebook: string;
  users: Array<{ name: string; base: string; headers: Record<string, string>; kernel: string }>;
}

const EXECUTE_EVERY_MS = 2000;
const OPEN_EVERY_MS = 10_000;
const REPLY_WITHIN_MS = 10_000;

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')) as Plan;
const execute: number[] = [];
const contents: number[] = [];
const problems: string[] = [];
/** Once every socket is open the class sits still this long (the proxy's memory with the sockets open is read), then works. */
const STILL_MS = 3000;
let allOpen: () => void;
const everyoneOpen = new Promise<void>((r) => (allOpen = r));
/** The load runs its time from the end of the still moment. */
let endAt = Number.POSITIVE_INFINITY;

async function user(u: Plan['users'][number], opened: () => void): Promise<void> {
  const kernel = u.kernel;
  const session = randomUUID();
  const ws = new WebSocket(`${u.base.replace(/^http/, 'ws')}/api/kernels/${kernel}/channels?session_id=${session}`, {
    headers: u.headers,
    perMessageDeflate: false,
  });
  const waiting = new Map<string, { sent: number; done: () => void }>();
  ws.on('message', (raw) => {
    const msg = JSON.parse(raw.toString()) as {
      channel: string;
      header: { msg_type: string };
      parent_header: { msg_id?: string };
    };
    const pending = msg.parent_header.msg_id ? waiting.get(msg.parent_header.msg_id) : undefined;
    if (pending && msg.channel === 'shell' && msg.header.msg_type === 'execute_reply') {
      execute.push(performance.now() - pending.sent);
      waiting.delete(msg.parent_header.msg_id!);
      pending.done();
    }
  });
  ws.on('error', (err) => problems.push(`${u.name}: socket: ${err.message}`));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`${u.name}: upgrade answered ${res.statusCode}`)));
  });
  opened();
  await everyoneOpen;
  // Each user starts at a point of the period of their own, as a class does not act in step.
  await new Promise((r) => setTimeout(r, STILL_MS + Math.random() * EXECUTE_EVERY_MS));
  let nextOpen = performance.now() + Math.random() * OPEN_EVERY_MS;
  while (Date.now() < endAt) {
    const tick = performance.now();
    const { msg_id, text } = executeRequest(session);
    const replied = new Promise<void>((done) => waiting.set(msg_id, { sent: performance.now(), done }));
    ws.send(text);
    const late = await Promise.race([
      replied.then(() => false),
      new Promise<boolean>((r) => setTimeout(() => r(true), REPLY_WITHIN_MS)),
    ]);
    if (late) problems.push(`${u.name}: no execute_reply within ${REPLY_WITHIN_MS} ms`);
    if (performance.now() >= nextOpen) {
      nextOpen += OPEN_EVERY_MS;
      const begun = performance.now();
      const res = await request(`${u.base}/api/contents/${plan.notebook}?content=1`, { headers: u.headers }, 30_000);
      if (res.status === 200 && res.body.length > 50_000) contents.push(performance.now() - begun);
      else problems.push(`${u.name}: contents answered ${res.status} (${res.body.length} bytes)`);
    }
    await new Promise((r) => setTimeout(r, Math.max(0, EXECUTE_EVERY_MS - (performance.now() - tick))));
  }
  ws.close();
}

let open = 0;
function opened(): void {
  open++;
  if (open === plan.users.length) {
    endAt = Date.now() + STILL_MS + plan.seconds * 1000;
    process.stdout.write('open\n');
    allOpen();
  }
}
const all = plan.users.map(async (u) => {
  // A user who fails before their socket opens must not hold the others' clock back.
  let counted = false;
  const once = () => {
    if (counted) return;
    counted = true;
    opened();
  };
  try {
    await user(u, once);
  } catch (err) {
    problems.push((err as Error).message);
    once();
  }
});
Promise.all(all).then(() => {
  process.stdout.write(
    `${JSON.stringify({ execute, contents, errors: problems.length, problems: problems.slice(0, 5) })}\n`,
  );
});
