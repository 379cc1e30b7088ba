/**
 * Request bodies: small limits, and a malformed body is a 400 that says so, never a 500.
 */
import bodyParser from 'koa-bodyparser';
import { BerthError } from '../errors';

function onerror(err: Error & { status?: number }): never {
  const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 400;
  throw new BerthError(status, status === 413 ? 'The request body is too large.' : 'The request body is malformed.', { reason: err.message });
}

/** URL-encoded forms (login and other pages). */
export const formBody = bodyParser({ enableTypes: ['form'], formLimit: '16kb', onerror });

/** JSON for the REST API; only objects and arrays at the top level. */
export const jsonBody = bodyParser({ enableTypes: ['json'], jsonLimit: '64kb', strict: true, onerror });
