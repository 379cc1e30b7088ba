/**
 * Who is calling the hub and what they may do. API calls are authenticated by an API token
 * (`Authorization: token <t>` or `Bearer <t>`, never a query string) or by the session cookie,
 * which must then carry the XSRF token on state-changing calls. Permissions are JupyterHub's
 * scopes: users hold `self`, admins everything, tokens what they were issued and their owner
 * still holds. Pages need a signed-in user, else they send the browser to the login page.
 */
import type { Context } from 'koa';
import { apiToken, SAFE_METHODS } from '../auth/credentials';
import type { Caller } from '../auth/koa-state';
import { safeNext } from '../auth/next';
import { roleScopes, tokenScopes } from '../auth/roles';
import type { ScopeSet, Target } from '../auth/scopes';
import type { SignIn } from '../auth/sign-in';
import { XSRF_HEADER, xsrfMatches, xsrfToken } from '../auth/xsrf';
import { forbidden, notFound, Redirect } from '../errors';
import type { GroupStore } from '../store/groups';
import type { TokenStore } from '../store/tokens';
import type { UserStore } from '../store/users';
import type { PageContext } from './views';

export interface AccessDeps {
  users: UserStore;
  tokens: TokenStore;
  groups: GroupStore;
  signIn: Pick<SignIn, 'admissions'>;
}

export class Access {
  constructor(
    private readonly deps: AccessDeps,
    /** HUB_ADMIN_ACCESS: admins may use other users' servers. */
    readonly adminAccess: boolean,
  ) {}

  /** What `user` may do by their role. */
  roleScopes(user: { name: string; admin: boolean }): ScopeSet {
    return roleScopes(user, this.adminAccess);
  }

  /** The caller of an API request, or undefined when it carries no credentials. */
  async caller(ctx: Context): Promise<Caller | undefined> {
    if (ctx.state.caller !== undefined) return ctx.state.caller ?? undefined;
    let caller: Caller | undefined;
    const header = ctx.get('authorization');
    if (header) {
      const token = apiToken(header);
      const record = token ? await this.deps.tokens.lookup(token) : undefined;
      const owner = record ? await this.deps.users.get(record.user) : undefined;
      if (!record || !owner || this.deps.signIn.admissions.isBlocked(owner.name))
        throw forbidden('Invalid or expired API token.');
      caller = {
        name: owner.name,
        admin: owner.admin,
        scopes: tokenScopes(record.scopes, owner, this.adminAccess),
        via: 'token',
        tokenId: record.id,
      };
    } else {
      const user = ctx.state.user;
      if (user) {
        if (!SAFE_METHODS.has(ctx.method) && !xsrfMatches(ctx, ctx.get(XSRF_HEADER))) {
          throw forbidden(
            `'${XSRF_HEADER}' header is missing or does not match the _xsrf cookie; reload the page and try again.`,
          );
        }
        caller = { name: user.name, admin: user.admin, scopes: this.roleScopes(user), via: 'session' };
      }
    }
    ctx.state.caller = caller ?? null;
    return caller;
  }

  /** The caller, or a 403 asking for credentials. */
  async require(ctx: Context): Promise<Caller> {
    const caller = await this.caller(ctx);
    if (!caller)
      throw forbidden('Missing or invalid credentials: sign in, or send an API token (Authorization: token <t>).');
    return caller;
  }

  /** The target of a check on user `name`, with their groups when a group filter could matter. */
  async target(name: string): Promise<Target> {
    return { user: name, groups: await this.deps.groups.groupsOf(name) };
  }

  /**
   * The caller must hold `scope` for user `name`. One who may not even see that user gets 404,
   * as for a user that does not exist; one who may see them but not do this, 403.
   */
  async allow(ctx: Context, scope: string, name: string): Promise<Caller> {
    const caller = await this.require(ctx);
    const target = await this.target(name);
    if (caller.scopes.can(scope, target)) return caller;
    if (!caller.scopes.can('read:users:name', target)) throw notFound(`No such user: ${name}`);
    throw forbidden(`Action is not authorized with current scopes; requires ${scope}.`);
  }

  /** The caller must hold `scope` for everyone (hub-wide actions). */
  async allowAll(ctx: Context, scope: string): Promise<Caller> {
    const caller = await this.require(ctx);
    if (!caller.scopes.can(scope)) throw forbidden(`Action is not authorized with current scopes; requires ${scope}.`);
    return caller;
  }
}

/** The signed-in user of a page request; anyone else is sent to sign in and brought back. */
export function pageCaller(ctx: Context): { name: string; admin: boolean } {
  const user = ctx.state.user;
  if (user) return user;
  const next = safeNext(ctx.originalUrl, '/hub/home');
  throw new Redirect(`/hub/login?next=${encodeURIComponent(next)}`);
}

/** Pages: users act on themselves, admins on anyone; others learn nothing (404, as for no such user). */
export function mayActOn(caller: { name: string; admin: boolean }, name: string): void {
  if (caller.name !== name && !caller.admin) throw notFound(`No such user: ${name}`);
}

/**
 * What every page gets: the XSRF token and the signed-in user. Pages without forms or scripts
 * that change state (error pages) pass `issue: false`, so that a stray request outside /hub/
 * (a favicon) never replaces the token cookie a form on another tab relies on.
 */
export function pageContext(ctx: Context, issue = true): PageContext {
  const user = ctx.state.user;
  const xsrf = issue ? xsrfToken(ctx) : (ctx.state.xsrf ?? '');
  return { xsrf, user: user && { name: user.name, admin: user.admin } };
}
