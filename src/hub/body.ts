/**
 * Request bodies: small limits, and a malformed body is a 400 that says so, never a 500.
 */
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import { BerthError, badRequest } from '../errors';

function onError(err: Error & { status?: number }): never {
  const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 400;
  const message = status === 413 ? 'The request body is too large.' : 'The request body is malformed.';
  throw new BerthError(status, message, { reason: err.message });
}

/** URL-encoded forms (login and other pages). */
export const formBody = bodyParser({ enableTypes: ['form'], formLimit: '16kb', onError });

/** JSON for the REST API; only objects and arrays at the top level. */
export const jsonBody = bodyParser({
  enableTypes: ['json'],
  jsonLimit: '64kb',
  jsonStrict: true,
  // JupyterHub's DELETE /groups/<name>/users carries a body too.
  parsedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'],
  onError,
});

/** A JSON object body, or {} for none; anything else is a 400. */
export function objectBody(ctx: Context): Record<string, unknown> {
  const body = ctx.request.body ?? {};
  if (typeof body !== 'object' || Array.isArray(body)) throw badRequest('The body must be a JSON object.');
  return body as Record<string, unknown>;
}

/** A form's fields ({} for none). */
export function formFields(ctx: Context): Record<string, unknown> {
  return (ctx.request.body ?? {}) as Record<string, unknown>;
}
