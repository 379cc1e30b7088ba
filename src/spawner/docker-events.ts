/**
 * Following Docker's event stream for this hub's server containers: each `die` (with `oom`
 * before it when the kernel killed it for memory) becomes one call with the reason, and a
 * dropped stream is reconnected.
 */
import type Docker from 'dockerode';
import type { Logger } from '../log';
import { exitReason } from './docker-server';
import { LABEL } from './naming';

interface DockerEvent {
  status?: string;
  Action?: string;
  id: string;
  Actor?: { Attributes?: Record<string, string> };
}

/** Calls `onExit(user, container, reason)` for each server of `hubName` that dies; returns the stop function. */
export function followExits(
  docker: Docker,
  hubName: string,
  log: Logger,
  onExit: (user: string, container: string, reason: string) => void,
): () => void {
  let closed = false;
  let stream: NodeJS.ReadableStream | undefined;
  const outOfMemory = new Set<string>();
  const label = [`${LABEL.hub}=${hubName}`, `${LABEL.kind}=server`];
  const filters = JSON.stringify({ type: ['container'], event: ['die', 'oom'], label });

  const onEvent = async (event: DockerEvent) => {
    const action = event.Action ?? event.status;
    const user = event.Actor?.Attributes?.[LABEL.user];
    if (!user) return;
    if (action === 'oom') {
      outOfMemory.add(event.id);
      return;
    }
    const state = (
      await docker
        .getContainer(event.id)
        .inspect()
        .catch(() => undefined)
    )?.State;
    const exitCode = Number(event.Actor?.Attributes?.exitCode);
    const oomKilled = outOfMemory.delete(event.id) || state?.OOMKilled;
    onExit(user, event.id, exitReason({ OOMKilled: oomKilled, ExitCode: state?.ExitCode ?? exitCode }));
  };

  const onLine = (line: string) => {
    onEvent(JSON.parse(line) as DockerEvent).catch((err) => log.warn('could not handle a Docker event', { err }));
  };

  // A lost stream is followed again, waiting longer after each failure (up to 30 s); the log
  // says once that it was lost and once that it is back, not on every try.
  let retryMs = 1000;
  let lost = false;
  const destroy = (s: NodeJS.ReadableStream | undefined) => (s as unknown as { destroy?: () => void })?.destroy?.();
  const retry = (why: string) => {
    if (closed) return;
    if (!lost) log.warn('lost Docker events; following them again', { why });
    lost = true;
    setTimeout(connect, retryMs).unref();
    retryMs = Math.min(30_000, retryMs * 2);
  };
  const connect = () => {
    if (closed) return;
    docker.getEvents({ filters }).then(
      (s) => {
        if (closed) return destroy(s);
        stream = s;
        retryMs = 1000;
        if (lost) log.info('following Docker events again');
        lost = false;
        let buffer = '';
        s.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
            const line = buffer.slice(0, nl).trim();
            buffer = buffer.slice(nl + 1);
            if (line) onLine(line);
          }
        });
        // An end, an error or a cut connection all close the stream: follow again once.
        s.on('error', () => undefined);
        s.once('close', () => retry('the stream closed'));
      },
      (err: Error) => retry(err.message),
    );
  };
  connect();
  return () => {
    closed = true;
    destroy(stream);
  };
}
