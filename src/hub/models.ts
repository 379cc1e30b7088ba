/**
 * JupyterHub's REST models, with its field names: what `/hub/api/users/<name>` returns.
 */
import type { User } from '../store/users';
import type { ServerView } from './servers';

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
}

export interface UserModel {
  kind: 'user';
  name: string;
  admin: boolean;
  groups: string[];
  server: string | null;
  pending: 'spawn' | 'stop' | null;
  created: string;
  last_activity: string | null;
  servers: Record<string, ServerModel>;
}

function latest(...times: Array<string | undefined>): string | null {
  const known = times.filter((t): t is string => Boolean(t)).sort();
  return known.length ? known[known.length - 1] : null;
}

export function userModel(user: User, view: ServerView): UserModel {
  const url = `/user/${user.name}/`;
  const servers: Record<string, ServerModel> = {};
  let pending: UserModel['pending'] = null;
  if (view.state !== 'stopped') {
    pending = view.state === 'starting' ? 'spawn' : view.state === 'stopping' ? 'stop' : null;
    servers[''] = {
      name: '',
      ready: view.state === 'running',
      pending,
      stopped: false,
      url,
      progress_url: `/hub/api/users/${user.name}/server/progress`,
      started: view.record.started,
      last_activity: view.lastActivity ?? null,
      user_options: { image: view.record.image },
    };
  }
  return {
    kind: 'user',
    name: user.name,
    admin: user.admin,
    groups: [],
    server: view.state === 'running' ? url : null,
    pending,
    created: user.created,
    last_activity: latest(view.state === 'stopped' ? undefined : view.lastActivity, user.lastLogin),
    servers,
  };
}
