/**
 * What each kind of caller may do: users hold everything about themselves, admins everything
 * (using others' servers only with HUB_ADMIN_ACCESS), and a token what it was issued with
 * ("inherit" = all of its owner's) and its owner still holds.
 */
import type { GroupStore } from '../store/groups';
import type { TokenStore } from '../store/tokens';
import type { UserStore } from '../store/users';
import { adminScopes, ScopeSet, selfScopes } from './scopes';
import { accessScopes, oauthTokenScopes } from './single-user';

export function roleScopes(user: { name: string; admin: boolean }, adminAccess: boolean): ScopeSet {
  return new ScopeSet(user.admin ? [...adminScopes(adminAccess), ...selfScopes(user.name)] : selfScopes(user.name));
}

export function tokenScopes(
  issued: readonly string[],
  owner: { name: string; admin: boolean },
  adminAccess: boolean,
): ScopeSet {
  const role = roleScopes(owner, adminAccess);
  if (issued.includes('inherit')) return role;
  return new ScopeSet(issued).intersect(role);
}

/**
 * May the holder of API token `token` use `owner`'s server (access:servers)? 'invalid' for an
 * unknown, revoked or expired token, or one whose user is gone. 'yes, not to the server' when it
 * may, but the token itself must not reach that server: a server that checks tokens itself
 * (JupyterHub's single-user server) is handed the one it is sent, so it gets only its owner's
 * tokens and tokens that can do nothing but use it.
 */
export async function tokenMayUse(
  stores: { tokens: TokenStore; users: UserStore; groups: GroupStore },
  token: string,
  owner: string,
  rules: { adminAccess: boolean; blockedUsers: readonly string[] },
): Promise<TokenAccess> {
  const { adminAccess, blockedUsers } = rules;
  const record = await stores.tokens.lookup(token);
  const holder = record && (await stores.users.get(record.user));
  // A blocked user's token is no token, even one made after the hub started.
  if (!record || !holder || blockedUsers.includes(holder.name)) return 'invalid';
  const scopes = tokenScopes(record.scopes, holder, adminAccess);
  if (!scopes.can('access:servers', { user: owner, groups: await stores.groups.groupsOf(owner) })) return 'no';
  const harmless = new Set([...accessScopes(owner), ...oauthTokenScopes(owner, holder.name)]);
  return holder.name === owner || record.scopes.every((s) => harmless.has(s)) ? 'yes' : 'yes, not to the server';
}

export type TokenAccess = 'yes' | 'yes, not to the server' | 'no' | 'invalid';
