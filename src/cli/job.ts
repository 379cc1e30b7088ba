/**
 * `berth job run <user> <notebook>`: queues a batch job for a user, as the API does (the same
 * checks); the running hub starts it in its turn. With --wait it follows the job to its end and
 * fails (exit 1) unless it succeeded.
 */
import { BerthError } from '../errors';
import type { JobRecord } from '../store/jobs';
import type { Runtime } from './runtime';

export interface JobRunOptions {
  image?: string;
  /** name=value; a value that is JSON is taken as such (7, true, [1,2]), else as a string. */
  params: string[];
  timeout?: string;
  wait: boolean;
}

function parameters(pairs: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at < 1) throw new BerthError(400, `--param ${pair}: give name=value`);
    const raw = pair.slice(at + 1);
    try {
      out[pair.slice(0, at)] = JSON.parse(raw);
    } catch {
      out[pair.slice(0, at)] = raw;
    }
  }
  return out;
}

export async function runJob(rt: Runtime, user: string, notebook: string, opts: JobRunOptions): Promise<string> {
  if (!(await rt.users.get(user))) throw new BerthError(404, `No such user: ${user}`);
  const body = {
    notebook,
    parameters: parameters(opts.params),
    ...(opts.image ? { image: opts.image } : {}),
    ...(opts.timeout ? { timeout: Number(opts.timeout) } : {}),
  };
  const job = (await rt.jobs.submit(user, body)) as JobRecord;
  const queued = `Queued job ${job.id} for ${user}: ${job.notebook}, written to ${job.output} when it runs.`;
  if (!opts.wait) return queued;
  process.stderr.write(`${queued}\n`);
  for (;;) {
    const now = await rt.jobs.store.get(job.id);
    if (now && !['queued', 'running'].includes(now.state)) {
      const line = `Job ${job.id} ${now.state}${now.error ? `: ${now.error}` : ''}.`;
      if (now.state !== 'succeeded') throw new BerthError(500, line);
      return line;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
