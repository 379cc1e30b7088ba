/**
 * A class at work for as long as it takes, through faults: for each user a kernel's WebSocket,
 * opened again whenever it closes; a small cell every 2 s whose reply names the kernel's owner;
 * every 5 s a look at the user's kernel (`GET .../api/kernels/<id>`), every 10 s the user's
 * notebook (its metadata names its owner). Every answer is checked for whose server gave it.
 * Runs until SIGTERM, then writes every outcome to the result file and exits. Prints "open" once
 * every socket has opened for the first time.
 *
 *   node dist/bench/soak-load.js <plan.json> <result.json>
 *   plan: { notebook, users: [{ name, base, headers, kernel }] }
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import WebSocket from 'ws';
import { request } from './lib/http';
import { executeRequest } from './lib/kernel-message';

interface Plan {
  notebook: string;
  users: Array<{ name: string; base: string; headers: Record<string, string>; kernel: string }>;
}

/** One request's outcome: when it was sent (epoch ms), how long it took, and what went wrong, if anything. */
export interface Outcome {
  at: number;
  ms: number;
  what: 'execute' | 'kernel' | 'notebook' | 'socket';
  /** Absent when it succeeded; else what came back: "503 <message>", "closed", "timeout". */
  failed?: string;
  /** An answer from a server that is not this user's. */
  foreign?: boolean;
}

const EXECUTE_EVERY_MS = 2000;
const LOOK_EVERY_MS = 5000;
const OPEN_EVERY_MS = 10_000;
const REPLY_WITHIN_MS = 10_000;
const REOPEN_AFTER_MS = 200;

const [planFile, resultFile] = process.argv.slice(2);
const plan = JSON.parse(fs.readFileSync(planFile, 'utf8')) as Plan;
const outcomes: Outcome[] = [];
let running = true;

function record(at: number, what: Outcome['what'], failed?: string, foreign = false): void {
  // Once the load stops, what its own closing cuts off is not an outcome.
  if (!running) return;
  outcomes.push({ at, ms: Date.now() - at, what, ...(failed ? { failed } : {}), ...(foreign ? { foreign } : {}) });
}

/** What a refusal said, short: its status and the start of its message. */
function refusal(status: number, body: string): string {
  if (status === 0) return 'no answer';
  let message = body.slice(0, 80);
  try {
    message = (JSON.parse(body) as { message?: string }).message ?? message;
  } catch {}
  return `${status} ${message}`.slice(0, 100);
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

class KernelSocket {
  private ws?: WebSocket;
  private readonly waiting = new Map<string, { at: number; done: (failed?: string, foreign?: boolean) => void }>();
  readonly session = randomUUID();

  constructor(private readonly u: Plan['users'][number]) {}

  /** Opens the socket and keeps it open (again after every close) until the load ends. */
  async keepOpen(opened: () => void): Promise<void> {
    while (running) {
      const at = Date.now();
      const failed = await this.open();
      if (failed) record(at, 'socket', failed);
      else {
        opened();
        await new Promise((r) => this.ws?.once('close', r));
        for (const [, pending] of this.waiting) pending.done('closed');
        this.waiting.clear();
      }
      if (running) await pause(REOPEN_AFTER_MS);
    }
  }

  private open(): Promise<string | undefined> {
    const url = `${this.u.base.replace(/^http/, 'ws')}/api/kernels/${this.u.kernel}/channels?session_id=${this.session}`;
    const ws = new WebSocket(url, { headers: this.u.headers, perMessageDeflate: false, handshakeTimeout: 10_000 });
    this.ws = ws;
    ws.on('message', (raw) => this.reply(raw.toString()));
    return new Promise((resolve) => {
      ws.once('open', () => resolve(undefined));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(refusal(res.statusCode ?? 0, body)));
        res.on('error', () => resolve(refusal(res.statusCode ?? 0, body)));
      });
      ws.once('error', (err) => resolve(err.message.slice(0, 100)));
    });
  }

  private reply(text: string): void {
    const msg = JSON.parse(text) as {
      channel: string;
      header: { msg_type: string };
      parent_header: { msg_id?: string };
      content: { user_expressions?: { me?: { data?: Record<string, string> } } };
    };
    const pending = msg.parent_header.msg_id ? this.waiting.get(msg.parent_header.msg_id) : undefined;
    if (!pending || msg.channel !== 'shell' || msg.header.msg_type !== 'execute_reply') return;
    this.waiting.delete(msg.parent_header.msg_id!);
    const me = msg.content.user_expressions?.me?.data?.['text/plain'];
    // A reply without the name (a cell aborted as its kernel went away) failed; one with another name is foreign.
    if (me === undefined) pending.done('reply without its kernel owner', false);
    else pending.done(me === `'${this.u.name}'` ? undefined : `answered as ${me}`, me !== `'${this.u.name}'`);
  }

  /** Runs a small cell that also says whose kernel it is; records the outcome. */
  async execute(): Promise<void> {
    const at = Date.now();
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return record(at, 'execute', 'no socket');
    const { msg_id, text } = executeRequest(this.session, { me: "__import__('os').environ.get('JUPYTERHUB_USER')" });
    const done = new Promise<[string | undefined, boolean | undefined]>((resolve) =>
      this.waiting.set(msg_id, { at, done: (failed, foreign) => resolve([failed, foreign]) }),
    );
    ws.send(text);
    const timeout = pause(REPLY_WITHIN_MS).then((): [string, boolean] => ['timeout', false]);
    const [failed, foreign] = await Promise.race([done, timeout]);
    this.waiting.delete(msg_id);
    record(at, 'execute', failed, foreign);
  }

  close(): void {
    this.ws?.close();
  }
}

/** `GET .../api/kernels/<id>`: only this user's server knows the kernel. */
async function lookAtKernel(u: Plan['users'][number]): Promise<void> {
  const at = Date.now();
  const res = await request(`${u.base}/api/kernels/${u.kernel}`, { headers: u.headers }, REPLY_WITHIN_MS);
  if (res.status !== 200) return record(at, 'kernel', refusal(res.status, res.body));
  const id = (JSON.parse(res.body) as { id?: string }).id;
  record(at, 'kernel', id === u.kernel ? undefined : `kernel ${id}`, id !== undefined && id !== u.kernel);
}

/** The notebook, about 100 KB, whose metadata names its owner. */
async function openNotebook(u: Plan['users'][number]): Promise<void> {
  const at = Date.now();
  const res = await request(`${u.base}/api/contents/${plan.notebook}?content=1`, { headers: u.headers }, 30_000);
  if (res.status !== 200) return record(at, 'notebook', refusal(res.status, res.body));
  const owner = (JSON.parse(res.body) as { content?: { metadata?: { owner?: string } } }).content?.metadata?.owner;
  record(at, 'notebook', owner === u.name ? undefined : `owner ${owner}`, owner !== undefined && owner !== u.name);
}

/** Calls `fn` every `ms` (from a random point of the first period: a class does not act in step) until the load ends. */
async function every(ms: number, fn: () => Promise<void>): Promise<void> {
  await pause(Math.random() * ms);
  while (running) {
    const tick = Date.now();
    await fn();
    await pause(Math.max(0, ms - (Date.now() - tick)));
  }
}

let open = 0;
const sockets = plan.users.map((u) => new KernelSocket(u));
const work = plan.users.flatMap((u, i) => {
  let counted = false;
  const opened = () => {
    if (counted) return;
    counted = true;
    if (++open === plan.users.length) process.stdout.write('open\n');
  };
  return [
    sockets[i].keepOpen(opened),
    every(EXECUTE_EVERY_MS, () => sockets[i].execute()),
    every(LOOK_EVERY_MS, () => lookAtKernel(u)),
    every(OPEN_EVERY_MS, () => openNotebook(u)),
  ];
});

process.once('SIGTERM', () => {
  running = false;
  for (const s of sockets) s.close();
  // The requests in flight end within their time limits.
  void Promise.all(work).then(() => {
    fs.writeFileSync(resultFile, JSON.stringify(outcomes));
    process.exit(0);
  });
});
