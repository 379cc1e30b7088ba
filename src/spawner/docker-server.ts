/**
 * Talking to server containers: whether one's notebook server answers yet, why it stopped, its
 * last log lines (for the owner's error message), and which of them the engine has.
 */
import http from 'node:http';
import type Docker from 'dockerode';
import { serverPrefix } from '../auth/single-user';
import type { Protocol } from '../catalogue/catalogue';
import { BerthError, engineError, statusOf } from '../errors';
import { LABEL, type Naming } from './naming';
import type { ContainerUsage, ServerContainer, ServerStatus } from './spawner';

/**
 * How often a starting server is asked whether it answers: a refused connection costs little,
 * and a late look is time the user waits.
 */
const READY_POLL_MS = 20;

/** A `.catch` that treats the listed Docker status codes as done (gone is a state, not an error). */
export function ignoreStatus(...codes: number[]) {
  return (err: unknown) => {
    if (!codes.includes(statusOf(err) ?? -1)) throw err;
  };
}

/** Runs `work` against the engine, turning "the engine does not answer" into the 503 people see. */
export function onEngine<T>(work: () => Promise<T>): Promise<T> {
  return work().catch((err: unknown) => {
    throw engineError(err);
  });
}

/** A start the user cancelled (they pressed stop) goes no further. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new BerthError(409, 'The start was cancelled.');
}

/** Rejects with `error` if `promise` has not settled within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(error()), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** The status of GET `url`, or 0 when nothing answers yet (a fresh connection each time). */
function httpStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { headers, agent: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** Why a container that is not running stopped, in words for its owner. */
export function exitReason(state: { OOMKilled?: boolean; ExitCode?: number }): string {
  if (state.OOMKilled) return 'it ran out of memory (HUB_MEM_LIMIT)';
  if (state.ExitCode === 137) return 'it was killed (exit code 137)';
  if (state.ExitCode === 143) return 'it was terminated (exit code 143)';
  return `it exited with code ${state.ExitCode ?? '?'}`;
}

/** Docker's log stream for a container without a TTY: 8-byte frame headers, then the payload. */
export function demuxLogs(buf: Buffer): string {
  let out = '';
  for (let i = 0; i + 8 <= buf.length; ) {
    const size = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + size).toString('utf8');
    i += 8 + size;
  }
  return out;
}

export async function lastLogs(container: Docker.Container): Promise<string> {
  try {
    const buf = (await container.logs({ stdout: true, stderr: true, tail: 20, follow: false })) as unknown as Buffer;
    return demuxLogs(buf).trim();
  } catch {
    return '(no logs)';
  }
}

/** Rejects, with why and the last log lines, when the container no longer runs. */
export async function failIfDead(user: string, container: Docker.Container): Promise<void> {
  const info = await container.inspect().catch(() => undefined);
  if (info?.State.Running) return;
  const why = exitReason(info?.State ?? {});
  const logs = await lastLogs(container);
  throw new BerthError(500, `Your server stopped while starting: ${why}. Its last log lines:\n${logs}`, { user });
}

export interface AnswerWait {
  user: string;
  /** Where to ask: the server's base URL (http://host:port) and a path that answers 200 once it is up. */
  url: string;
  /** The token Berth's own images want; none for JupyterHub's, whose /api answers anyone. */
  token?: string;
  /** Rejects, saying why, once the server no longer runs. */
  alive: () => Promise<void>;
  /** Its last log lines, for the owner's error message. */
  logs: () => Promise<string>;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Told, about once a second, how long the wait has been and what fraction of the time limit that is. */
  onWaiting?: (seconds: number, fraction: number) => void;
}

/** Polls the server's status API with its token until it answers 200, it dies, or time is up. */
export async function waitUntilAnswers(wait: AnswerWait): Promise<void> {
  const { url, token, timeoutMs, signal } = wait;
  const headers: Record<string, string> = token ? { authorization: `token ${token}` } : {};
  const begun = Date.now();
  let reported = 0;
  for (let attempt = 0; ; attempt++) {
    throwIfCancelled(signal);
    if ((await httpStatus(url, headers)) === 200) return;
    if (attempt % 25 === 24) await wait.alive(); // about every half second
    const waited = Date.now() - begun;
    if (waited > timeoutMs) {
      const logs = await wait.logs();
      const limit = timeoutMs / 1000;
      throw new BerthError(
        500,
        `Your server did not answer within ${limit} s (HUB_HTTP_TIMEOUT). Its last log lines:\n${logs}`,
        { user: wait.user },
      );
    }
    if (waited - reported >= 1000) {
      reported = waited;
      wait.onWaiting?.(Math.round(waited / 1000), Math.min(1, waited / timeoutMs));
    }
    await new Promise((r) => setTimeout(r, READY_POLL_MS));
  }
}

/** What answers 200 once a server is up: Berth's images' status API (with their token), JupyterHub's public /api. */
export function answerUrl(target: string, user: string, protocol: Protocol): string {
  return `${target}${serverPrefix(user)}${protocol === 'berth' ? 'api/status' : 'api'}`;
}

/** How a wait for the server tells that its container died, and what it last said. */
export function watching(container: Docker.Container, user: string) {
  return { alive: () => failIfDead(user, container), logs: () => lastLogs(container) };
}

/** Every server container of hub `hubName`, running or not. */
export async function serverContainers(docker: Docker, hubName: string, names: Naming): Promise<ServerContainer[]> {
  const filters = JSON.stringify({ label: [`${LABEL.hub}=${hubName}`, `${LABEL.kind}=server`] });
  const found = await docker.listContainers({ all: true, filters });
  const out: ServerContainer[] = [];
  for (const c of found) {
    const user = c.Labels[LABEL.user];
    // Only containers under this hub's own name for that user: a stray one is not ours to adopt.
    if (!user || !c.Names.includes(`/${names.container(user)}`)) continue;
    const status: ServerStatus =
      // A paused server (HUB_PAUSE_AFTER) runs still: frozen, with its memory and kernels.
      c.State === 'running' || c.State === 'paused'
        ? { running: true }
        : { running: false, reason: await whyStopped(docker, c.Id) };
    const created = new Date(c.Created * 1000).toISOString();
    out.push({ user, container: c.Id, image: c.Labels[LABEL.image] ?? '', created, status });
  }
  return out;
}

async function whyStopped(docker: Docker, id: string): Promise<string> {
  const info = await docker
    .getContainer(id)
    .inspect()
    .catch(() => undefined);
  return exitReason(info?.State ?? {});
}

interface StatsReading {
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  cpu_stats?: { cpu_usage?: { total_usage?: number } };
}

/** One reading of the engine's stats (one-shot: no second sample to wait for); undefined when it is gone. */
export async function containerUsage(docker: Docker, id: string): Promise<ContainerUsage | undefined> {
  const stats = (await docker
    .getContainer(id)
    .stats({ stream: false, 'one-shot': true } as { stream: false })
    .catch(() => undefined)) as StatsReading | undefined;
  const memory = stats?.memory_stats;
  if (!memory?.usage) return undefined;
  // cgroup v2 names it inactive_file, v1 total_inactive_file: the cache the kernel reclaims first.
  const cache = memory.stats?.inactive_file ?? memory.stats?.total_inactive_file ?? 0;
  return {
    memoryBytes: Math.max(0, memory.usage - cache),
    memoryLimitBytes: memory.limit ?? 0,
    cpuSeconds: (stats?.cpu_stats?.cpu_usage?.total_usage ?? 0) / 1e9,
  };
}
