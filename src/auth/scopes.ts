/**
 * Permissions as JupyterHub's scopes: a scope names what may be done (`read:users`,
 * `delete:servers` ...), implies narrower ones (`admin:users` → `users` → `read:users` → ...),
 * and may be limited to one user or group (`servers!user=alice`, `read:users!group=class1`).
 * A ScopeSet is a caller's expanded permissions; `can(scope, target)` is the one check.
 */
import { badRequest } from '../errors';

/** Each scope and the narrower scopes it implies (JupyterHub's hierarchy, the part Berth uses). */
const IMPLIES: Record<string, readonly string[]> = {
  'admin:users': ['users', 'admin:server_state', 'delete:users'],
  'delete:users': [],
  users: ['read:users', 'list:users', 'users:activity'],
  'read:users': ['read:users:name', 'read:users:groups', 'read:users:activity'],
  'list:users': ['read:users:name'],
  'users:activity': ['read:users:activity'],
  'read:users:name': [],
  'read:users:groups': [],
  'read:users:activity': [],
  'admin:servers': ['servers', 'admin:server_state'],
  'admin:server_state': [],
  servers: ['start:servers', 'read:servers', 'delete:servers'],
  'start:servers': [],
  'read:servers': ['read:users:name'],
  'delete:servers': [],
  'access:servers': [],
  tokens: ['read:tokens'],
  'read:tokens': [],
  'admin:groups': ['groups', 'delete:groups'],
  'delete:groups': [],
  groups: ['read:groups', 'list:groups'],
  'read:groups': ['read:groups:name'],
  'list:groups': ['read:groups:name'],
  'read:groups:name': [],
  'read:hub': [],
  proxy: [],
  'read:metrics': [],
  jobs: ['read:jobs'],
  'read:jobs': [],
  'read:usage': [],
};

export const KNOWN_SCOPES = Object.keys(IMPLIES);

/**
 * What an admin may do: everything, for everyone, except use other users' servers, which needs
 * HUB_ADMIN_ACCESS (their pages would run in the hub's origin with an admin's session).
 */
export function adminScopes(adminAccess: boolean): string[] {
  return [
    'admin:users',
    'admin:servers',
    'tokens',
    'admin:groups',
    'read:hub',
    'proxy',
    'read:metrics',
    'jobs',
    'read:usage',
    ...(adminAccess ? ['access:servers'] : []),
  ];
}

/** What `self` means for user `name`: everything about themselves and their own server. */
export function selfScopes(name: string): string[] {
  return ['users', 'servers', 'access:servers', 'tokens', 'jobs'].map((s) => `${s}!user=${name}`);
}

type Filter = { kind: 'all' } | { kind: 'user'; name: string } | { kind: 'group'; name: string };

/** Whose resources a check is about. */
export interface Target {
  user: string;
  groups?: readonly string[];
}

function parse(scope: string): { base: string; filter: Filter } {
  const [base, filter, ...rest] = scope.split('!');
  if (!(base in IMPLIES) || rest.length)
    throw badRequest(`Unknown scope '${scope.slice(0, 80)}'. Known scopes: ${KNOWN_SCOPES.join(', ')}.`);
  if (filter === undefined) return { base, filter: { kind: 'all' } };
  // A user has one server, named '': JupyterHub's !server=<name>/ is their !user=<name>.
  const server = /^server=([a-z0-9][a-z0-9._-]{0,63})\/$/.exec(filter);
  if (server) return { base, filter: { kind: 'user', name: server[1] } };
  const m = /^(user|group)=([a-z0-9][a-z0-9._-]{0,63})$/.exec(filter);
  if (!m) {
    const message = `Unknown scope filter '!${filter.slice(0, 80)}': use !user=<name>, !server=<name>/ or !group=<name>.`;
    throw badRequest(message);
  }
  return { base, filter: { kind: m[1] as 'user' | 'group', name: m[2] } };
}

function covers(held: Filter, wanted: Filter): boolean {
  return held.kind === 'all' || (held.kind === wanted.kind && held.name === (wanted as { name: string }).name);
}

export class ScopeSet {
  private readonly grants = new Map<string, Filter[]>();

  /** Expands `scopes` (each may carry a filter) into everything they imply. Unknown scopes are a 400. */
  constructor(scopes: Iterable<string>) {
    for (const scope of scopes) {
      const { base, filter } = parse(scope);
      const stack = [base];
      while (stack.length) {
        const s = stack.pop()!;
        const list = this.grants.get(s) ?? [];
        if (!list.some((f) => covers(f, filter))) list.push(filter);
        this.grants.set(s, list);
        stack.push(...IMPLIES[s]);
      }
    }
  }

  /** May the holder do `scope`, for `target` (or for everyone, without a target)? */
  can(scope: string, target?: Target): boolean {
    const filters = this.grants.get(scope);
    if (!filters) return false;
    return filters.some(
      (f) =>
        f.kind === 'all' ||
        (target !== undefined && (f.kind === 'user' ? f.name === target.user : (target.groups ?? []).includes(f.name))),
    );
  }

  /** May the holder do `scope` for anyone at all (e.g. list users, filtered later)? */
  any(scope: string): boolean {
    return (this.grants.get(scope)?.length ?? 0) > 0;
  }

  /** True when every scope in `requested` is within this set (for issuing a token). */
  holds(requested: Iterable<string>): string[] {
    const missing: string[] = [];
    for (const scope of requested) {
      const { base, filter } = parse(scope);
      if (!(this.grants.get(base) ?? []).some((f) => covers(f, filter))) missing.push(scope);
    }
    return missing;
  }

  /** The intersection with `other`: what a token may do is what it was given and its owner still may. */
  intersect(other: ScopeSet): ScopeSet {
    const out = new ScopeSet([]);
    for (const [base, mine] of this.grants) {
      const theirs = other.grants.get(base) ?? [];
      const kept: Filter[] = [];
      for (const a of mine)
        for (const b of theirs) {
          if (covers(a, b)) kept.push(b);
          else if (covers(b, a)) kept.push(a);
        }
      if (kept.length) out.grants.set(base, kept);
    }
    return out;
  }

  /** Every scope held, filters written out, sorted (for GET /hub/api/user). */
  list(): string[] {
    const out: string[] = [];
    for (const [base, filters] of this.grants)
      for (const f of filters) out.push(f.kind === 'all' ? base : `${base}!${f.kind}=${f.name}`);
    return out.sort();
  }
}
