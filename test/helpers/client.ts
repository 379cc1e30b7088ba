/**
 * A small HTTP client with a cookie jar, standing in for a browser where a test needs no
 * rendering: it signs in through the real login form and calls the hub's API with the XSRF token.
 */

export interface Cookie {
  name: string;
  value: string;
  path: string;
}

export class Client {
  /**
   * @param cookies keyed by name and path, as browsers keep them; clients of several ports of one
   *   host share one jar, because cookies do not tell ports apart.
   */
  constructor(
    readonly base: string,
    readonly cookies = new Map<string, Cookie>(),
  ) {}

  private sent(path: string): Cookie[] {
    return [...this.cookies.values()]
      .filter((c) => path.startsWith(c.path))
      .sort((a, b) => b.path.length - a.path.length);
  }

  /** The Cookie header a browser would send for `path` (longest paths first). */
  cookieHeader(path = '/'): string {
    return this.sent(path)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  /** The value a request to `path` would carry for cookie `name`. */
  cookie(name: string, path = '/hub/'): string | undefined {
    return this.sent(path).find((c) => c.name === name)?.value;
  }

  async request(path: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    const cookie = this.cookieHeader(path);
    if (cookie && !('cookie' in headers)) headers.cookie = cookie;
    const res = await fetch(this.base + path, { redirect: 'manual', ...init, headers });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const pathAttr = attrs.map((a) => a.trim()).find((a) => a.toLowerCase().startsWith('path='));
      const cookiePath = pathAttr ? pathAttr.slice(5) : '/';
      const expired = attrs.some((a) => /expires=Thu, 01 Jan 1970/i.test(a)) || value === '';
      if (expired) this.cookies.delete(`${name}\0${cookiePath}`);
      else this.cookies.set(`${name}\0${cookiePath}`, { name, value, path: cookiePath });
    }
    return res;
  }

  /** The XSRF token a hub page carries. */
  async xsrf(): Promise<string> {
    const page = await (await this.request('/hub/login')).text();
    const match = /name="xsrf-token" content="([^"]+)"/.exec(page);
    if (!match) throw new Error('no xsrf token on the page');
    return match[1];
  }

  /** Signs in through the login form; resolves the response (302 on success). */
  async login(username: string, password: string, next?: string): Promise<Response> {
    const xsrf = await this.xsrf();
    return this.request(`/hub/login${next ? `?next=${encodeURIComponent(next)}` : ''}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _xsrf: xsrf, username, password }).toString(),
    });
  }

  /** Logs out through the form, as the Log out button does. */
  async logout(): Promise<Response> {
    return this.request('/hub/logout', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _xsrf: this.cookie('_xsrf') ?? '' }).toString(),
    });
  }

  /** A hub API call authenticated by the session cookie and the XSRF header. */
  async api(method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<Response> {
    const headers: Record<string, string> = { ...extra, 'x-xsrftoken': this.cookie('_xsrf') ?? '' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return this.request(`/hub/api${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }
}

/**
 * Follows redirects on this origin as a browser does for a page load, from `path`; resolves the
 * last answer and every URL visited (a server's OAuth dance with the hub is three of them).
 */
export async function follow(client: Client, path: string, max = 10): Promise<{ res: Response; visited: string[] }> {
  const visited = [path];
  let res = await client.request(path, { headers: { accept: 'text/html' } });
  while (res.status >= 300 && res.status < 400 && visited.length <= max) {
    const next = new URL(res.headers.get('location') ?? '', new URL(visited.at(-1)!, client.base));
    if (next.origin !== new URL(client.base).origin) throw new Error(`redirected off the hub: ${next}`);
    visited.push(next.pathname + next.search);
    res = await client.request(next.pathname + next.search, { headers: { accept: 'text/html' } });
  }
  return { res, visited };
}

export async function signedIn(base: string, username: string, password: string): Promise<Client> {
  const client = new Client(base);
  const res = await client.login(username, password);
  if (res.status !== 302) throw new Error(`login as ${username} answered ${res.status}`);
  return client;
}

/** Calls the hub's REST API with an API token, as scripts and services do. */
export function tokenApi(base: string, token: string) {
  return (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${base}/hub/api${path}`, {
      method,
      headers: {
        authorization: `token ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      redirect: 'manual',
    });
}
