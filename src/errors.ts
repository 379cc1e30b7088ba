/**
 * Errors with two faces: `message` is what a person sees (what went wrong and what to do),
 * `detail` is what the log gets. Anything that is not a BerthError reaches a client only as a
 * generic 500, with the real error in the log.
 */
import type { LogFields } from './log';

export class BerthError extends Error {
  constructor(
    /** HTTP status for the hub's API and pages. */
    readonly status: number,
    /** Safe to show: says what went wrong and what to do. */
    message: string,
    /** For the log only. */
    readonly detail: LogFields = {},
    /** Response headers that go with the error, e.g. Retry-After. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'BerthError';
  }
}

/** Not a failure: the request is answered by sending the browser to `location`. */
export class Redirect extends Error {
  constructor(readonly location: string) {
    super(`redirect to ${location}`);
  }
}

export const badRequest = (message: string, detail?: LogFields) => new BerthError(400, message, detail);
export const forbidden = (message: string, detail?: LogFields) => new BerthError(403, message, detail);
export const notFound = (message: string, detail?: LogFields) => new BerthError(404, message, detail);

/** Codes of a connection that could not be made or was cut: the other side is not answering. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** True when `err` says a connection to a service failed (rather than the service refusing). */
export function isUnreachable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNREACHABLE.has(code);
}

/** What people are told while the container engine does not answer (the hub itself carries on). */
export const ENGINE_DOWN =
  'The container engine is not answering, so servers cannot be started or stopped right now. Try again in a minute.';

/** `err` as the 503 people see when it says the container engine is unreachable; other errors as they are. */
export function engineError(err: unknown): unknown {
  return isUnreachable(err) ? new BerthError(503, ENGINE_DOWN, { err }) : err;
}

/** Docker and HTTP libraries put the status code on the error; "gone" answers are states, not failures. */
export function statusOf(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}
