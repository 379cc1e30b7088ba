/**
 * XSRF tokens (JupyterHub's names): a random token in a signed, HttpOnly `_xsrf` cookie scoped to
 * /hub/, echoed by pages into forms (hidden `_xsrf` field) and into a meta tag for scripts, which
 * send it back as `X-XSRFToken`. A state-changing request authenticated by the session cookie
 * must carry the token; the comparison is constant-time.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import './koa-state';
import { signedByOlderKey } from './session-cookie';

export const XSRF_COOKIE = '_xsrf';
export const XSRF_HEADER = 'x-xsrftoken';
export const XSRF_FIELD = '_xsrf';

/**
 * The request's XSRF token, issuing a cookie with a new one when there is none, and signing it
 * again, as it was set, when an older key signed it (HUB_SECRET was rotated).
 */
export function xsrfToken(ctx: Context): string {
  const existing = ctx.state.xsrf;
  if (existing) return existing;
  const read = ctx.cookies.get(XSRF_COOKIE, { signed: true });
  const valid = read !== undefined && /^[A-Za-z0-9_-]{43}$/.test(read);
  const token = valid ? read : randomBytes(32).toString('base64url');
  if (!valid || signedByOlderKey(Array.isArray(ctx.app.keys) ? ctx.app.keys : [], ctx.get('cookie'), XSRF_COOKIE)) {
    ctx.cookies.set(XSRF_COOKIE, token, {
      signed: true,
      httpOnly: true,
      sameSite: 'lax',
      path: '/hub/',
      secure: Boolean(ctx.cookies.secure),
      overwrite: true,
    });
  }
  ctx.state.xsrf = token;
  return token;
}

/** True when `provided` matches the token in the request's signed cookie. */
export function xsrfMatches(ctx: Context, provided: unknown): boolean {
  const token = ctx.cookies.get(XSRF_COOKIE, { signed: true });
  if (typeof provided !== 'string' || !token) return false;
  const a = Buffer.from(provided);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
