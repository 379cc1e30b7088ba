/**
 * HTTP load from a separate process: Debian's wrk, with a Lua script that reports what the
 * benchmark needs (requests/s, p50/p95/p99 latency, errors) as one JSON line.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  requests: number;
  /** Connect, read, write and timeout errors plus non-2xx/3xx answers: a run with errors is not a measurement. */
  errors: number;
}

export interface LoadOptions {
  url: string;
  connections: number;
  seconds: number;
  method?: 'GET' | 'POST' | 'PUT';
  headers?: Record<string, string>;
  body?: string;
  /** Paths the requests take in turn instead of the URL's (each of wrk's threads its own share), e.g. files to write. */
  paths?: string[];
}

const MARK = 'BERTH-WRK ';

function script(opts: LoadOptions): string {
  const lua = (s: string) => JSON.stringify(s); // a JSON string is a valid Lua string literal here
  const lines = [`wrk.method = ${lua(opts.method ?? 'GET')}`];
  for (const [k, v] of Object.entries(opts.headers ?? {})) lines.push(`wrk.headers[${lua(k)}] = ${lua(v)}`);
  if (opts.body !== undefined) lines.push(`wrk.body = ${lua(opts.body)}`);
  if (opts.paths?.length) {
    lines.push(
      `local paths = { ${opts.paths.map(lua).join(', ')} }`,
      `local share = math.max(1, math.floor(#paths / ${threadsFor(opts)}))`,
      'local threads, sent = 0, 0',
      'setup = function(thread) thread:set("tid", threads) threads = threads + 1 end',
      'request = function()',
      '  sent = sent + 1',
      '  return wrk.format(nil, paths[(((tid or 0) * share + sent % share) % #paths) + 1])',
      'end',
    );
  }
  lines.push(
    'done = function(summary, latency, requests)',
    '  local e = summary.errors',
    `  io.write(string.format("${MARK}{\\"requests\\":%d,\\"duration\\":%d,\\"errors\\":%d,` +
      `\\"p50\\":%d,\\"p95\\":%d,\\"p99\\":%d}\\n",`,
    '    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout + e.status,',
    '    latency:percentile(50), latency:percentile(95), latency:percentile(99)))',
    'end',
  );
  return lines.join('\n');
}

function threadsFor(opts: LoadOptions): number {
  return Math.min(2, opts.connections);
}

/** Runs wrk against `opts.url`; resolves its numbers. */
export async function wrk(opts: LoadOptions): Promise<LoadResult> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-wrk-')), 'script.lua');
  fs.writeFileSync(file, script(opts));
  const threads = threadsFor(opts);
  const args = [
    '-t',
    String(threads),
    '-c',
    String(opts.connections),
    '-d',
    `${opts.seconds}s`,
    '--timeout',
    '10s',
    '-s',
    file,
    opts.url,
  ];
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', (d) => (text += d));
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? new Error('wrk is not installed (apt-get install wrk)') : err),
    );
    child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited with ${code}: ${text}`))));
  });
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  const line = out.split('\n').find((l) => l.startsWith(MARK));
  if (!line) throw new Error(`wrk gave no result: ${out}`);
  const r = JSON.parse(line.slice(MARK.length)) as {
    requests: number;
    duration: number;
    errors: number;
    p50: number;
    p95: number;
    p99: number;
  };
  return {
    requestsPerSecond: r.requests / (r.duration / 1e6),
    p50Ms: r.p50 / 1000,
    p95Ms: r.p95 / 1000,
    p99Ms: r.p99 / 1000,
    requests: r.requests,
    errors: r.errors,
  };
}
