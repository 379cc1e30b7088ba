/**
 * What a hub request's `ctx.state` holds, typed once for every part that reads it: the signed-in
 * user (koa-passport puts it there from the session), the API caller once looked up, and the
 * request's XSRF token once issued or read.
 */
import type { User } from '../store/users';
import type { ScopeSet } from './scopes';

/** Who is calling the hub's API, and what they may do. */
export interface Caller {
  name: string;
  admin: boolean;
  scopes: ScopeSet;
  /** How the caller proved who they are. */
  via: 'session' | 'token';
  tokenId?: string;
}

declare module 'koa' {
  interface DefaultState {
    user?: User;
    /** null: the request carries no credentials. */
    caller?: Caller | null;
    xsrf?: string;
  }
}
