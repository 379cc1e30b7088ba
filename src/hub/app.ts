/**
 * The hub: a Koa app built by `createHub(config, deps)` from one readable list of middleware,
 * then the pages and the REST API. Stores, the spawner and the catalogue come in as deps, so
 * tests can build a hub against their own Redis and Docker.
 */
import { randomBytes } from 'node:crypto';
import Koa, { type Context, type Next } from 'koa';
import session from 'koa-session';
import { createPassport } from '../auth/passport';
import { SESSION_MAX_AGE_MS, sessionCookieName, signedByOlderKey } from '../auth/session-cookie';
import { LoginThrottle } from '../auth/throttle';
import { BerthError, Redirect } from '../errors';
import type { Logger } from '../log';
import type { Metrics } from '../metrics/metrics';
import { Access, pageContext } from './access';
import { apiRouter } from './api';
import type { HubConfig, HubDeps } from './deps';
import { Directory } from './directory';
import { linksRouter } from './links';
import { opsRouter } from './ops';
import { pagesRouter } from './pages';
import { signInRouter } from './sign-in';
import { errorPage } from './views';

export type { HubConfig, HubDeps };

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** A year: browsers then use HTTPS only for this host (HSTS), once they have seen it over HTTPS. */
const HSTS = 'max-age=31536000';

/** Headers on every hub answer; over HTTPS (HUB_PUBLIC_URL https://) also HSTS. */
function securityHeaders(https: boolean) {
  const headers: Record<string, string> = {
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'same-origin',
    'Cross-Origin-Opener-Policy': 'same-origin',
    ...(https ? { 'Strict-Transport-Security': HSTS } : {}),
  };
  return async (ctx: Context, next: Next) => {
    ctx.set(headers);
    await next();
  };
}

const GENERIC_500 = 'Something went wrong in the hub. An admin can find the detail in its log.';

/** Requests that are looked at all the time, logged at debug level: health checks, scrapes, static files. */
const ROUTINE = /^\/hub\/(health|metrics|static\/)/;

/**
 * The access log and JupyterHub's request metric: one line per hub request (status, method,
 * path, user, ms) and its duration by method, route and status.
 */
function accessLog(metrics: Metrics, log: Logger) {
  return async (ctx: Context, next: Next) => {
    const begun = performance.now();
    try {
      await next();
    } finally {
      const seconds = (performance.now() - begun) / 1000;
      const route = (ctx as Context & { _matchedRoute?: unknown })._matchedRoute;
      const code = String(ctx.status);
      metrics.requestDuration.observe(
        { method: ctx.method, handler: typeof route === 'string' ? route : 'unknown', code },
        seconds,
      );
      const line = {
        status: ctx.status,
        method: ctx.method,
        path: ctx.path,
        user: ctx.state.caller?.name ?? ctx.state.user?.name,
        ms: Math.round(seconds * 1000),
      };
      if (ROUTINE.test(ctx.path) && ctx.status < 400) log.debug('request', line);
      else log.info('request', line);
    }
  };
}

/** Errors become `{status, message}` for the API and an error page otherwise; details go to the log. */
function errors(log: Logger) {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new BerthError(404, 'Not found');
      // The routers' answers to a method a path does not take, as errors like every other.
      if (ctx.status === 405 && ctx.body === undefined)
        throw new BerthError(405, `${ctx.method} is not allowed here; allowed: ${ctx.response.get('Allow')}.`);
      if (ctx.status === 501 && ctx.body === undefined) throw new BerthError(501, `${ctx.method} is not supported.`);
    } catch (err) {
      if (err instanceof Redirect) {
        ctx.redirect(err.location);
        return;
      }
      const known = err instanceof BerthError;
      const httpErr = err as { status?: number; expose?: boolean; message?: string };
      const exposed = !known && httpErr.expose === true && typeof httpErr.status === 'number' && httpErr.status < 500;
      const status = known ? err.status : exposed ? httpErr.status! : 500;
      const message = known || exposed ? String(httpErr.message) : GENERIC_500;
      if (status >= 500)
        log.error('request failed', { method: ctx.method, path: ctx.path, status, err, ...(known ? err.detail : {}) });
      else
        log.debug('request refused', {
          method: ctx.method,
          path: ctx.path,
          status,
          message,
          ...(known ? err.detail : {}),
        });
      ctx.status = status;
      if (known) ctx.set(err.headers);
      const api = ctx.path.startsWith('/hub/api/') || ctx.path === '/hub/api';
      if (api || ctx.accepts('html', 'json') !== 'html') {
        ctx.body = { status, message };
      } else {
        ctx.type = 'html';
        ctx.body = errorPage(pageContext(ctx, false), status, message).text;
      }
    }
  };
}

/** Where a session may begin: the sign-in pages and the provider's way back. */
const SIGN_IN_PATHS = new Set(['/hub/login', '/hub/logout', '/hub/oauth_login', '/hub/oauth_callback']);

export function createHub(config: HubConfig, deps: HubDeps): Koa {
  const app = new Koa({ keys: [...config.keys], proxy: config.trustForwarded });
  const passport = createPassport(deps.users, deps.signIn);
  const access = new Access(deps, config.adminAccess);
  const directory = new Directory(deps);
  app.silent = true; // errors() logs what matters

  app.use(accessLog(deps.metrics, deps.log));
  app.use(errors(deps.log));
  app.use(securityHeaders(config.secureCookies));
  if (config.secureCookies) {
    // TLS ends in front of the hub: mark cookies Secure without trusting a request header for it.
    app.use(async (ctx, next) => {
      ctx.cookies.secure = true;
      await next();
    });
  }
  const cookie = sessionCookieName(config.secureCookies);
  const sessionCookieOptions = {
    maxAge: SESSION_MAX_AGE_MS,
    httpOnly: true,
    signed: true,
    sameSite: 'lax' as const,
    secure: config.secureCookies,
  };
  const sessions = session(
    {
      key: cookie,
      ...sessionCookieOptions,
      rolling: false,
      renew: true,
      genid: () => randomBytes(32).toString('base64url'),
      store: {
        get: (id: string) => deps.sessions.get(id),
        set: (id: string, data: Record<string, unknown>, maxAge: number | 'session' | undefined) =>
          deps.sessions.set(id, data, maxAge),
        destroy: (id: string) => deps.sessions.destroy(id),
      },
    },
    app,
  );
  const initialize = passport.initialize();
  const fromSession = passport.session();
  // Sessions cost on every request they see (koa-session makes a session id up front, koa-passport
  // wraps the request object), and only requests that carry a validly signed session cookie, and the
  // sign-in and sign-out forms, use them: token-authenticated API calls and anonymous ones skip them.
  app.use(async (ctx, next) => {
    const used = ctx.cookies.get(cookie) !== undefined || SIGN_IN_PATHS.has(ctx.path);
    if (!used) return next();
    const olderKey = signedByOlderKey(config.keys, ctx.get('cookie'), cookie);
    await sessions(ctx, () => initialize(ctx, () => fromSession(ctx, next)));
    // Signed again with the newest key, keeping its lifetime, unless this answer sets it anyway.
    const setting = ctx.response.get('set-cookie');
    const setsIt = (Array.isArray(setting) ? setting : [setting]).some((c) => String(c).startsWith(`${cookie}=`));
    if (olderKey && !setsIt) ctx.cookies.set(cookie, olderKey, { ...sessionCookieOptions, overwrite: true });
  });

  const signIn = signInRouter({
    ...deps,
    passport,
    throttle: new LoginThrottle(deps.loginFailures),
    publicUrl: config.publicUrl,
  });
  const pages = pagesRouter(deps);
  const api = apiRouter({ ...deps, access, directory, deleteHome: config.deleteHome });
  const ops = opsRouter(deps, access);
  const links = linksRouter(deps);
  app.use(signIn.routes()).use(signIn.allowedMethods());
  app.use(pages.routes()).use(pages.allowedMethods());
  app.use(api.routes()).use(api.allowedMethods());
  app.use(ops.routes()).use(ops.allowedMethods());
  app.use(links.routes()).use(links.allowedMethods());
  return app;
}
