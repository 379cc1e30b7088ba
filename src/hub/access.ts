/**
 * Who is calling the hub and what they may do. Pages need a signed-in user (else: to the login
 * page, with `next`); API calls need one too (else 403), and when they change state with the
 * session cookie, the XSRF token in `X-XSRFToken`. Users act on themselves; admins on anyone.
 */
import type { Context } from 'koa';
import { safeNext } from '../auth/next';
import { XSRF_HEADER, xsrfMatches, xsrfToken } from '../auth/xsrf';
import { Redirect, forbidden, notFound } from '../errors';
import type { PageContext } from './views';

export interface Caller {
  name: string;
  admin: boolean;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The signed-in user of a page request; anyone else is sent to sign in and brought back. */
export function pageCaller(ctx: Context): Caller {
  const user = ctx.state.user as Caller | undefined;
  if (user) return user;
  const next = safeNext(ctx.originalUrl, '/hub/home');
  throw new Redirect(`/hub/login?next=${encodeURIComponent(next)}`);
}

/** The signed-in user of an API request, with the XSRF check for state-changing calls. */
export function apiCaller(ctx: Context): Caller {
  const user = ctx.state.user as Caller | undefined;
  if (!user) throw forbidden('Missing or invalid credentials: sign in, or send an API token.');
  if (!SAFE_METHODS.has(ctx.method) && !xsrfMatches(ctx, ctx.get(XSRF_HEADER))) {
    throw forbidden(`'${XSRF_HEADER}' header is missing or does not match the _xsrf cookie; reload the page and try again.`);
  }
  return user;
}

/** Users may act on themselves, admins on anyone; others learn nothing (404, as for no such user). */
export function mayActOn(caller: Caller, name: string): void {
  if (caller.name !== name && !caller.admin) throw notFound(`No such user: ${name}`);
}

/**
 * What every page gets: the XSRF token and the signed-in user. Pages without forms or scripts
 * that change state (error pages) pass `issue: false`, so that a stray request outside /hub/
 * (a favicon) never replaces the token cookie a form on another tab relies on.
 */
export function pageContext(ctx: Context, issue = true): PageContext {
  const user = ctx.state.user as Caller | undefined;
  const xsrf = issue ? xsrfToken(ctx) : ((ctx.state.xsrf as string | undefined) ?? '');
  return { xsrf, user: user && { name: user.name, admin: user.admin } };
}
