/**
 * A server-sent event stream as the answer to a request: events as `data:` lines, a comment
 * every few seconds so that proxies keep it open, and an end when either side is done.
 */
import { PassThrough } from 'node:stream';
import type { Context } from 'koa';

const KEEPALIVE_MS = 8000;

export interface EventStream {
  send(event: unknown): void;
  end(): void;
  /** Runs `cleanup` when the stream ends (the client left, or `end`). */
  onEnd(cleanup: () => void): void;
  readonly ended: boolean;
}

export function eventStream(ctx: Context): EventStream {
  const stream = new PassThrough();
  const cleanups: Array<() => void> = [];
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    for (const cleanup of cleanups) cleanup();
    stream.end();
  };
  ctx.req.socket.setTimeout(0);
  ctx.req.socket.setNoDelay(true);
  ctx.set({ 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' });
  ctx.type = 'text/event-stream';
  ctx.body = stream;
  ctx.req.on('close', end);
  const keepalive = setInterval(() => stream.write(':\n\n'), KEEPALIVE_MS);
  cleanups.push(() => clearInterval(keepalive));
  return {
    send(event) {
      if (!ended) stream.write(`data: ${JSON.stringify(event)}\n\n`);
    },
    end,
    onEnd(cleanup) {
      if (ended) cleanup();
      else cleanups.push(cleanup);
    },
    get ended() {
      return ended;
    },
  };
}
