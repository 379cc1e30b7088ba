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

/** Docker and HTTP libraries put the status code on the error; "gone" answers are states, not failures. */
export function statusOf(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}
