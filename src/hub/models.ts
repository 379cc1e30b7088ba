/**
 * JupyterHub's REST models, with its field names, and which fields a caller may see: the
 * fields each read scope reveals (JupyterHub's access map) are unioned over the scopes the
 * caller holds for that user.
 */
import type { ScopeSet, Target } from '../auth/scopes';
import type { ServerUsage } from '../servers/usage';
import type { Group } from '../store/groups';
import type { ServerRecord } from '../store/servers';
import type { TokenRecord } from '../store/tokens';
import type { User } from '../store/users';

export interface ServerModel {
  name: string;
  ready: boolean;
  pending: 'spawn' | 'stop' | null;
  stopped: boolean;
  url: string;
  progress_url: string;
  started: string | null;
  last_activity: string | null;
  user_options: { image?: string };
  state?: { node?: string; old_settings?: boolean; paused?: boolean };
  /** Berth's: what it uses, as last sampled (HUB_USAGE_INTERVAL). */
  usage?: { memory_bytes: number; memory_limit_bytes: number; cpu: number; sampled: string };
}

export interface UserModel {
  kind: 'user';
  name: string;
  admin: boolean;
  roles: string[];
  groups: string[];
  server: string | null;
  pending: 'spawn' | 'stop' | null;
  created: string;
  last_activity: string | null;
  servers: Record<string, ServerModel>;
}

/** Everything the hub knows of one user, gathered before a model is cut from it. */
export interface UserFacts {
  user: User;
  server?: ServerRecord;
  /** Last activity of their server, ms since the epoch. */
  activity?: number;
  groups: string[];
  usage?: ServerUsage;
}

const FIELDS_BY_SCOPE: Array<[string, Array<keyof UserModel>]> = [
  ['read:users', ['kind', 'name', 'admin', 'roles', 'groups', 'server', 'pending', 'created', 'last_activity']],
  ['read:users:name', ['kind', 'name', 'admin']],
  ['read:users:groups', ['kind', 'name', 'groups']],
  ['read:users:activity', ['kind', 'name', 'last_activity']],
  ['read:servers', ['kind', 'name', 'servers']],
];

const EVERY_FIELD = new Set(FIELDS_BY_SCOPE.flatMap(([, fields]) => fields));

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

function latest(...times: Array<string | null | undefined>): string | null {
  const known = times.filter((t): t is string => Boolean(t)).sort();
  return known.length ? known[known.length - 1] : null;
}

function pendingOf(server: ServerRecord | undefined): ServerModel['pending'] {
  return server?.state === 'starting' ? 'spawn' : server?.state === 'stopping' ? 'stop' : null;
}

export function fullUserModel(facts: UserFacts): UserModel {
  const { user, server } = facts;
  const url = `/user/${user.name}/`;
  const servers: Record<string, ServerModel> = {};
  if (server) {
    servers[''] = {
      name: '',
      ready: server.state === 'running',
      pending: pendingOf(server),
      stopped: false,
      url,
      progress_url: `/hub/api/users/${user.name}/server/progress`,
      started: server.started,
      last_activity: iso(facts.activity),
      user_options: server.image ? { image: server.image } : {},
      ...(facts.usage && server.state === 'running'
        ? {
            usage: {
              memory_bytes: facts.usage.memoryBytes,
              memory_limit_bytes: facts.usage.memoryLimitBytes,
              cpu: Math.round(facts.usage.cpu * 100) / 100,
              sampled: new Date(facts.usage.at).toISOString(),
            },
          }
        : {}),
      // JupyterHub's spawner state: on a swarm, the node the server runs on; whether its groups changed
      // since; whether it is paused while idle.
      ...(server.node || server.outdated || server.paused !== undefined
        ? {
            state: {
              ...(server.node ? { node: server.node } : {}),
              ...(server.outdated ? { old_settings: true } : {}),
              ...(server.paused !== undefined ? { paused: true } : {}),
            },
          }
        : {}),
    };
  }
  return {
    kind: 'user',
    name: user.name,
    admin: user.admin,
    roles: user.admin ? ['admin', 'user'] : ['user'],
    groups: facts.groups,
    server: server?.state === 'running' ? url : null,
    pending: pendingOf(server),
    created: user.created,
    last_activity: latest(server ? iso(facts.activity) : null, user.lastLogin),
    servers,
  };
}

/** The model cut to what `scopes` may read of this user; undefined when they may read nothing. */
export function userModelFor(scopes: ScopeSet, facts: UserFacts): Partial<UserModel> | undefined {
  const target: Target = { user: facts.user.name, groups: facts.groups };
  const allowed = new Set<keyof UserModel>();
  for (const [scope, fields] of FIELDS_BY_SCOPE) {
    if (scopes.can(scope, target)) for (const field of fields) allowed.add(field);
  }
  if (allowed.size === 0) return undefined;
  const full = fullUserModel(facts);
  if (allowed.size === EVERY_FIELD.size) return full;
  return Object.fromEntries(
    Object.entries(full).filter(([k]) => allowed.has(k as keyof UserModel)),
  ) as Partial<UserModel>;
}

export function groupModel(group: Group): {
  kind: 'group';
  name: string;
  users: string[];
  roles: string[];
  properties: Record<string, unknown>;
} {
  return { kind: 'group', name: group.name, users: group.users, roles: [], properties: group.properties };
}

export function tokenModel(t: TokenRecord) {
  return {
    kind: 'api_token',
    id: t.id,
    user: t.user,
    note: t.note,
    scopes: t.scopes,
    roles: [],
    created: t.created,
    expires_at: t.expires_at,
    last_activity: t.last_activity,
    session_id: null,
    oauth_client: t.client ?? 'JupyterHub',
  };
}
