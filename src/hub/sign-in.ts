/**
 * Signing in and out: the login page with every method that is on, the form (local accounts, then
 * the directory, throttled alike), the round trip through an identity provider
 * (/hub/oauth_login → the provider → /hub/oauth_callback), and logout. A refusal is the login page
 * with the reason and a log line, never a session.
 */
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import { safeNext } from '../auth/next';
import { type FormFailure, formStrategies, type Passport } from '../auth/passport';
import { ProviderUnavailable, type SignedIn } from '../auth/providers';
import { SESSION_MAX_AGE_MS } from '../auth/session-cookie';
import type { SignIn } from '../auth/sign-in';
import type { LoginThrottle } from '../auth/throttle';
import { XSRF_FIELD, xsrfMatches } from '../auth/xsrf';
import { forbidden } from '../errors';
import { pageContext } from './access';
import { formBody, formFields } from './body';
import type { HubDeps } from './deps';
import { HOME, render } from './pages';
import { loginPage, logoutPage } from './views';

/** How long a round trip through a provider may take before its state is forgotten. */
const ROUND_TRIP_MS = 10 * 60 * 1000;

/** What the session holds between /hub/oauth_login and /hub/oauth_callback. */
interface RoundTrip {
  provider: string;
  next: string;
}

export function signInRouter(deps: HubDeps & { passport: Passport; throttle: LoginThrottle; publicUrl?: URL }): Router {
  const { users, sessions, tokens, signIn, passport, throttle, log } = deps;
  const router = new Router();

  /** The login page: every method that is on, what stops them, and `error` if the last try failed. */
  async function showLogin(ctx: Context, opts: { next: string; username?: string; error?: string }, status = 200) {
    const notices = await loginNotices(signIn);
    render(
      ctx,
      loginPage(pageContext(ctx), {
        ...opts,
        username: opts.username?.slice(0, 64),
        form: signIn.form,
        providers: signIn.providers.map((p) => ({ id: p.id, label: p.label })),
        notices,
      }),
      status,
    );
  }

  async function enter(ctx: Context, user: SignedIn, method: string, next: string) {
    await ctx.login(user);
    if (ctx.session) {
      // A session that began as a round trip through a provider kept its 10 minutes through login.
      ctx.session.maxAge = SESSION_MAX_AGE_MS;
      ctx.session.signedInWith = method;
      if (user.idToken) ctx.session.idToken = user.idToken;
    }
    await users.recordLogin(user.name);
    log.info('login', { user: user.name, method, address: ctx.ip });
    ctx.redirect(next);
  }

  router.get('/hub/login', async (ctx) => {
    const next = safeNext(ctx.query.next, HOME);
    if (ctx.state.user) return ctx.redirect(next);
    await showLogin(ctx, { next });
  });

  router.post('/hub/login', formBody, async (ctx, nextMiddleware) => {
    const body = formFields(ctx);
    if (!xsrfMatches(ctx, body[XSRF_FIELD]))
      throw forbidden('This sign-in form has expired. Reload the page and sign in again.');
    const next = safeNext(ctx.query.next, HOME);
    const username = typeof body.username === 'string' ? body.username : '';
    if (!signIn.form) return showLogin(ctx, { next, error: 'Sign in with the button below.' }, 400);
    const wait = await throttle.wait(username, ctx.ip);
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      log.warn('login throttled', { username, address: ctx.ip, seconds });
      ctx.set('Retry-After', String(seconds));
      return showLogin(ctx, { next, username, error: `Too many failed sign-ins. Try again in ${seconds} s.` }, 429);
    }
    await passport.authenticate(formStrategies(signIn), async (err: unknown, user: SignedIn | false, info: unknown) => {
      if (err instanceof ProviderUnavailable) {
        // The local password (if any) was wrong too, or this would be a success: it counts as a failure.
        await throttle.failed(username, ctx.ip);
        log.warn('login failed: the directory does not answer', { username, address: ctx.ip });
        return showLogin(ctx, { next, username, error: err.message }, 503);
      }
      if (err) throw err;
      if (user) {
        await throttle.succeeded(username);
        return enter(ctx, user, user.auth ?? 'local', next);
      }
      // Passport hands back every strategy's failure; a refusal by the rules says more than a bad password.
      const failures = (Array.isArray(info) ? info : [info]) as Array<FormFailure | undefined>;
      const refusal = failures.find((f) => f?.refused);
      if (!refusal) await throttle.failed(username, ctx.ip);
      log.info('login failed', { username, address: ctx.ip, refused: Boolean(refusal) });
      await showLogin(ctx, { next, username, error: (refusal ?? failures[0])?.message }, 403);
    })(ctx, nextMiddleware);
  });

  /** Sends the browser to the provider, remembering (for 10 minutes) where it then goes. */
  router.get('/hub/oauth_login', async (ctx, nextMiddleware) => {
    const next = safeNext(ctx.query.next, HOME);
    const provider = signIn.provider(String(ctx.query.provider ?? signIn.providers[0]?.id ?? ''));
    if (!provider) return showLogin(ctx, { next, error: 'That sign-in method is not on here.' }, 404);
    if (ctx.state.user) return ctx.redirect(next);
    const strategy = await provider.strategy().catch((err: Error) => err);
    if (strategy instanceof Error) return showLogin(ctx, { next, error: strategy.message }, 503);
    passport.use(provider.id, strategy);
    if (!ctx.session) throw new Error('sessions are not on for /hub/oauth_login');
    ctx.session.maxAge = ROUND_TRIP_MS;
    ctx.session.roundTrip = { provider: provider.id, next } satisfies RoundTrip;
    await passport.authenticate(provider.id)(ctx, nextMiddleware);
  });

  router.get('/hub/oauth_callback', async (ctx, nextMiddleware) => {
    const trip = ctx.session?.roundTrip as RoundTrip | undefined;
    const provider = trip && signIn.provider(trip.provider);
    if (!trip || !provider) {
      log.warn('sign-in callback without a sign-in in progress', { address: ctx.ip });
      return showLogin(ctx, { next: HOME, error: 'This sign-in expired or was not started here. Sign in again.' }, 400);
    }
    const strategy = await provider.strategy().catch((err: Error) => err);
    if (strategy instanceof Error) return showLogin(ctx, { next: trip.next, error: strategy.message }, 503);
    passport.use(provider.id, strategy);
    await passport.authenticate(provider.id, async (err: unknown, user: SignedIn | false, info: unknown) => {
      if (ctx.session) ctx.session.roundTrip = undefined;
      if (err || !user) {
        const failure = info as FormFailure | undefined;
        const reason = err ? (err as Error).message : (failure?.message ?? 'no reason given');
        log.warn('sign-in with a provider failed', {
          provider: provider.id,
          address: ctx.ip,
          reason,
          error: Boolean(err),
        });
        // A refusal by the rules says why; anything else the library saw wrong is told in general terms.
        const error = err
          ? `Signing in with ${provider.label} failed: its answer could not be verified. Try again; if it keeps ` +
            'failing, tell your admin the time it happened.'
          : failure?.refused
            ? failure.message
            : `Signing in with ${provider.label} did not complete: it was started in another window or ` +
              'took too long. Sign in again.';
        return showLogin(ctx, { next: trip.next, error }, err ? 502 : 403);
      }
      await enter(ctx, user, provider.id, trip.next);
    })(ctx, nextMiddleware);
  });

  // Logging out changes state, so it is a form with the XSRF token; GET shows that form.
  router.get('/hub/logout', (ctx) => {
    if (!ctx.state.user) return ctx.redirect('/hub/login');
    render(ctx, logoutPage(pageContext(ctx)));
  });

  router.post('/hub/logout', formBody, async (ctx: Context, _next: Next) => {
    const body = formFields(ctx);
    if (!xsrfMatches(ctx, body[XSRF_FIELD])) throw forbidden('This form has expired. Reload the page and try again.');
    const user = ctx.state.user;
    let leaveTo = '/hub/login';
    if (user) {
      const provider = signIn.provider(String(ctx.session?.signedInWith ?? ''));
      const idToken = ctx.session?.idToken as string | undefined;
      await ctx.logout();
      // Logging out ends every session of this user, on every device, and their sign-ins on servers.
      await sessions.destroyAllOf(user.name);
      await tokens.deleteOAuthOf(user.name);
      log.info('logout', { user: user.name });
      if (provider && deps.publicUrl)
        leaveTo = (await provider.endSessionUrl(idToken, new URL('/hub/login', deps.publicUrl))) ?? leaveTo;
    }
    ctx.session = null;
    ctx.redirect(leaveTo);
  });

  return router;
}

/** Why some people cannot sign in right now, for the login page. */
async function loginNotices(signIn: SignIn): Promise<string[]> {
  const notices: string[] = [];
  if (signIn.nobodyAllowed)
    notices.push(
      'Nobody can sign in through the identity provider or directory yet: the admin has set no allow rule ' +
        '(HUB_ALLOWED_USERS, HUB_ALLOWED_GROUPS or HUB_ALLOW_ALL).',
    );
  const down = await Promise.all(signIn.providers.map(async (p) => ((await p.reachable()) ? undefined : p)));
  for (const p of down) if (p) notices.push(new ProviderUnavailable(p.label).message);
  return notices;
}
