/**
 * JupyterHub's single-user protocol, the hub's side of it: each user's server is an OAuth client
 * of the hub (`jupyterhub-user-<name>`, calling back at `/user/<name>/oauth_callback`), holds an
 * API token with the scopes of JupyterHub's "server" role, and grants people who sign in through
 * it the scopes to use it. `jupyterhub-singleuser` in a stock image reads all of this from the
 * environment JupyterHub's Spawner gives it (`singleUserEnv`).
 */

/** The server's URL prefix: everything of it is under here. */
export function serverPrefix(user: string): string {
  return `/user/${user}/`;
}

/** The OAuth client id of `user`'s server. */
export function serverClient(user: string): string {
  return `jupyterhub-user-${user}`;
}

/** The one redirect URI `user`'s server may ask the hub to send codes to. */
export function serverCallback(user: string): string {
  return `${serverPrefix(user)}oauth_callback`;
}

/** The scopes that let someone use `user`'s server (what the server checks an OAuth token for). */
export function accessScopes(user: string): string[] {
  return [`access:servers!server=${user}/`, `access:servers!user=${user}`];
}

/** The server's own API token (JupyterHub's "server" role): report activity, and let people in. */
export function serverTokenScopes(user: string): string[] {
  // jobs: a notebook in the server submits and reads its own user's batch jobs, nobody else's.
  return [`users:activity!user=${user}`, `access:servers!server=${user}/`, `jobs!user=${user}`];
}

/** A token issued through `owner`'s server's OAuth to `person`: who they are, and that they may use the server. */
export function oauthTokenScopes(owner: string, person: string): string[] {
  return [`access:servers!server=${owner}/`, `read:users:name!user=${person}`, `read:users:groups!user=${person}`];
}

/** How long a token issued through OAuth lives: the session cookie's 14 days, as in JupyterHub. */
export const OAUTH_TOKEN_SECONDS = 14 * 24 * 3600;

export interface SingleUserSetting {
  user: string;
  /** The server's own API token (JUPYTERHUB_API_TOKEN). */
  apiToken: string;
  /** Where the server reaches the hub's API, e.g. http://172.18.0.1:8082/hub/api */
  apiUrl: string;
  /** The address and port the server must listen on, inside its container. */
  listen: string;
  /** The path the server opens at, relative to its prefix (e.g. /lab), when the image says. */
  defaultUrl?: string;
  /** HUB_PUBLIC_URL, when set. */
  publicUrl?: string;
}

/** The environment JupyterHub's Spawner gives a single-user server (Spawner.get_env), as NAME=value. */
export function singleUserEnv(s: SingleUserSetting): string[] {
  const prefix = serverPrefix(s.user);
  const access = JSON.stringify(accessScopes(s.user));
  const env: Record<string, string> = {
    JUPYTERHUB_API_TOKEN: s.apiToken,
    JPY_API_TOKEN: s.apiToken,
    JUPYTERHUB_CLIENT_ID: serverClient(s.user),
    JUPYTERHUB_HOST: '',
    JUPYTERHUB_OAUTH_CALLBACK_URL: serverCallback(s.user),
    JUPYTERHUB_OAUTH_SCOPES: access,
    JUPYTERHUB_OAUTH_ACCESS_SCOPES: access,
    JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES: '[]',
    JUPYTERHUB_USER: s.user,
    JUPYTERHUB_SERVER_NAME: '',
    JUPYTERHUB_API_URL: s.apiUrl,
    JUPYTERHUB_ACTIVITY_URL: `${s.apiUrl}/users/${s.user}/activity`,
    JUPYTERHUB_BASE_URL: '/',
    JUPYTERHUB_SERVICE_PREFIX: prefix,
    JUPYTERHUB_SERVICE_URL: `http://${s.listen}${prefix}`,
    JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED: '0',
    JUPYTERHUB_PUBLIC_URL: s.publicUrl ? `${s.publicUrl}${prefix}` : '',
    JUPYTERHUB_PUBLIC_HUB_URL: s.publicUrl ? `${s.publicUrl}/hub/` : '',
    ...(s.defaultUrl ? { JUPYTERHUB_DEFAULT_URL: s.defaultUrl } : {}),
  };
  return Object.entries(env).map(([name, value]) => `${name}=${value}`);
}
