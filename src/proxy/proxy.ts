/**
 * The proxy: one decision path for HTTP requests and WebSocket upgrades to `/user/<name>/...`.
 * On every request it reads the route and the caller's session (or API token) from Redis, lets
 * only the owner through (or an admin, where configured), refuses cross-site state changes,
 * strips the hub's cookies, injects the server's token and forwards. Nothing is forwarded
 * unless every check passed; Redis down = 503. Credentials in query strings count for nothing.
 *
 *   const proxy = createProxy({ routes, sessions, cookies, log });
 *   server.on('request', (req, res) => proxy.owns(req) ? proxy.http(req, res) : hub(req, res));
 *   server.on('upgrade', (req, socket, head) => proxy.upgrade(req, socket, head));
 */
import http, {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import { apiToken, SAFE_METHODS } from '../auth/credentials';
import type { TokenAccess } from '../auth/roles';
import { type SessionCookieReader, withoutHubCookies } from '../auth/session-cookie';
import type { Logger } from '../log';
import type { RouteAndSession } from '../store/proxy-reads';
import type { Route } from '../store/routes';
import { sessionUser } from '../store/sessions';
import type { ActivityRecorder } from './activity';
import { forwardedHeaders, pipeHttp, targetOf } from './forward';
import { parseUserPath, USER_PREFIX } from './paths';

/** What the proxy reads on every request (store/proxy-reads.ts in Redis). */
export interface ProxyStore {
  /** The route to `user`'s server and, given a session id, that session: in one round trip. */
  routeAndSession(user: string, sessionId: string | undefined): Promise<RouteAndSession>;
}

export interface ProxyDeps {
  store: ProxyStore;
  cookies: SessionCookieReader;
  /** Hub API tokens (`Authorization: token <t>`): may the holder use `owner`'s server? */
  tokens?: { mayUse(token: string, owner: string): Promise<TokenAccess> };
  /** Given only with HUB_ADMIN_ACCESS: admins may then use other users' servers. */
  admins?: { isAdmin(name: string): Promise<boolean> };
  /** Told of real traffic to each server (requests and WebSocket frames), for the idle culler. */
  activity?: ActivityRecorder;
  /** The hub's own proxy wakes a paused server first; another's requests wait until the hub sees their activity. */
  resume?: (user: string) => Promise<void>;
  log: Logger;
}

export interface UserProxy {
  /** True for the requests the proxy answers (everything under /user/). */
  owns(req: IncomingMessage): boolean;
  http(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes pooled upstream connections. */
  close(): void;
}

/** Why a request is not forwarded: status, a message for the caller, and where to go instead. */
interface Refusal {
  status: number;
  message: string;
  location?: string;
}

type Decision = { route: Route } | { refusal: Refusal };

/** A page load (redirect to login) as opposed to an API call (403): JupyterHub's distinction. */
function isPageLoad(req: IncomingMessage, user: string): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (req.url!.startsWith(`/user/${user}/api/`)) return false;
  return (req.headers.accept ?? '').includes('text/html');
}

/** True when an Origin header names another host than the one the request was sent to. */
function foreignOrigin(headers: IncomingHttpHeaders): boolean {
  const origin = headers.origin;
  if (origin === undefined) return false;
  try {
    return new URL(origin).host !== headers.host;
  } catch {
    return true; // "null" or garbage: not this origin
  }
}

/** State-changing requests must come from this origin: the session cookie alone proves nothing. */
function crossSite(req: IncomingMessage): boolean {
  if (SAFE_METHODS.has(req.method ?? 'GET')) return false;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
  return foreignOrigin(req.headers);
}

/**
 * Headers for the user's server: the hub's cookies out, and in, for a server that trusts the
 * proxy (Berth's own images), its token. A server that signs people in itself (JupyterHub's
 * single-user server) gets the caller's own credentials: its cookie, or an API token it checks
 * with the hub (only one that can do nothing more than use it: see `decide`).
 */
function upstreamHeaders(req: IncomingMessage, token: string, websocket: boolean): OutgoingHttpHeaders {
  const out = forwardedHeaders(req, websocket);
  delete out.cookie;
  const cookie = withoutHubCookies(req.headers.cookie);
  if (cookie) out.cookie = cookie;
  if (token) out.authorization = `token ${token}`;
  return out;
}

function refusalBody(refusal: Refusal): string {
  return JSON.stringify({ status: refusal.status, message: refusal.message });
}

export function createProxy(deps: ProxyDeps): UserProxy {
  const { store, cookies, log } = deps;
  const touch = deps.activity ? (user: string) => deps.activity!.touch(user) : () => undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, scheduling: 'lifo' });

  /**
   * Who is calling and may they use this server: a hub API token with access:servers, or the
   * session cookie of the owner (or of an admin, with HUB_ADMIN_ACCESS). Resolves the route only
   * for an allowed caller.
   */
  async function authorize(
    req: IncomingMessage,
    owner: string,
  ): Promise<{ caller: 'none' | 'stranger' | 'allowed'; byToken: boolean; route?: Route; keepToken?: boolean }> {
    const token = apiToken(req.headers.authorization);
    if (deps.tokens && req.headers.authorization) {
      const [{ route }, verdict] = await Promise.all([
        store.routeAndSession(owner, undefined),
        token ? deps.tokens.mayUse(token, owner) : ('invalid' as const),
      ]);
      if (verdict === 'invalid') return { caller: 'none', byToken: true };
      if (verdict === 'no') return { caller: 'stranger', byToken: true };
      return { caller: 'allowed', byToken: true, route, keepToken: verdict === 'yes, not to the server' };
    }
    const { route, session } = await store.routeAndSession(owner, cookies.sessionId(req.headers.cookie));
    const user = sessionUser(session);
    if (user === undefined) return { caller: 'none', byToken: false };
    if (user === owner || (deps.admins && (await deps.admins.isAdmin(user))))
      return { caller: 'allowed', byToken: false, route };
    return { caller: 'stranger', byToken: false };
  }

  /** The one decision path for HTTP and WebSocket. */
  async function decide(req: IncomingMessage, websocket: boolean): Promise<Decision> {
    const path = parseUserPath(req.url ?? '/');
    if (!path || path.kind === 'invalid') return { refusal: { status: 404, message: 'Not found' } };
    const { caller, byToken, route, keepToken } = await authorize(req, path.user);
    if (caller === 'none') {
      if (byToken) return { refusal: { status: 403, message: 'Invalid or expired API token.' } };
      if (!websocket && isPageLoad(req, path.user)) {
        const location = `/hub/login?next=${encodeURIComponent(req.url!)}`;
        return { refusal: { status: 302, message: 'Sign in first', location } };
      }
      return { refusal: { status: 403, message: 'Sign in to use this server.' } };
    }
    // A stranger learns nothing, not even whether the user exists.
    if (caller === 'stranger') return { refusal: { status: 404, message: 'Not found' } };
    // The session cookie rides along on cross-site requests; a token does not.
    if (!byToken && (websocket ? foreignOrigin(req.headers) : crossSite(req))) {
      return { refusal: { status: 403, message: 'Cross-site request refused.' } };
    }
    if (path.kind === 'add-slash') return { refusal: { status: 302, message: 'Moved', location: path.location } };
    if (!route) {
      if (!websocket && isPageLoad(req, path.user))
        return { refusal: { status: 302, message: 'Server not running', location: '/hub/home' } };
      return { refusal: { status: 503, message: `${path.user}'s server is not running. Start it from /hub/home.` } };
    }
    // A server that checks tokens itself would be handed this one, which can do more than use it.
    if (keepToken && !route.token) {
      const message =
        `${path.user}'s server checks API tokens itself and would see this one: use a token ` +
        `limited to access:servers!server=${path.user}/ for it.`;
      return { refusal: { status: 403, message } };
    }
    if (route.paused) await deps.resume?.(path.user);
    return { route };
  }

  async function decideOrFailClosed(req: IncomingMessage, websocket: boolean): Promise<Decision> {
    try {
      return await decide(req, websocket);
    } catch (err) {
      log.error('proxy could not check the request; refusing it', { err, url: req.url });
      return { refusal: { status: 503, message: 'The hub cannot check this request right now; try again shortly.' } };
    }
  }

  function refuseHttp(res: ServerResponse, refusal: Refusal): void {
    const headers: OutgoingHttpHeaders = { 'content-type': 'application/json', 'cache-control': 'no-store' };
    if (refusal.location) headers.location = refusal.location;
    res.writeHead(refusal.status, headers).end(refusalBody(refusal));
  }

  function refuseSocket(socket: Duplex, refusal: Refusal): void {
    const body = refusalBody(refusal);
    socket.end(
      `HTTP/1.1 ${refusal.status} ${http.STATUS_CODES[refusal.status] ?? ''}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  }

  /** At debug level, one line per proxied request once it ends (the path without its query). */
  function logWhenDone(req: IncomingMessage, res: ServerResponse, user: string): void {
    const begun = performance.now();
    res.once('close', () => {
      const path = (req.url ?? '').split('?')[0];
      const ms = Math.round(performance.now() - begun);
      log.debug('proxied', {
        user,
        method: req.method,
        path,
        status: res.statusCode,
        ms,
        complete: res.writableFinished,
      });
    });
  }

  function forwardHttp(req: IncomingMessage, res: ServerResponse, route: Route): void {
    touch(route.user);
    if (log.level === 'debug') logWhenDone(req, res, route.user);
    pipeHttp(req, res, route.target, upstreamHeaders(req, route.token, false), agent, (err) => {
      log.warn('user server did not answer', { user: route.user, code: err.code });
      refuseHttp(res, {
        status: 503,
        message: `${route.user}'s server is not answering. Try again, or restart it from /hub/home.`,
      });
    });
  }

  function forwardUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, route: Route): void {
    const { host, port } = targetOf(route.target);
    // An upgraded connection leaves the pool for good: no agent.
    const upstream = http.request({
      host,
      port,
      method: req.method,
      path: req.url,
      headers: upstreamHeaders(req, route.token, true),
      agent: false,
    });
    upstream.on('upgrade', (up, upSocket, upHead) => {
      let reply = `HTTP/1.1 101 Switching Protocols\r\n`;
      for (let i = 0; i < up.rawHeaders.length; i += 2) reply += `${up.rawHeaders[i]}: ${up.rawHeaders[i + 1]}\r\n`;
      socket.write(`${reply}\r\n`);
      if (upHead.length) socket.write(upHead);
      if (head.length) upSocket.write(head);
      // Small frames go out at once (no Nagle delay), in both directions.
      upSocket.setNoDelay(true);
      if ('setNoDelay' in socket) (socket as unknown as { setNoDelay(v: boolean): void }).setNoDelay(true);
      upSocket.on('error', () => socket.destroy());
      socket.on('error', () => upSocket.destroy());
      upSocket.on('close', () => socket.destroy());
      socket.on('close', () => upSocket.destroy());
      // Frames either way are activity: a kernel at work counts as much as a person typing.
      const active = () => touch(route.user);
      active();
      upSocket.on('data', active);
      socket.on('data', active);
      upSocket.pipe(socket);
      socket.pipe(upSocket);
    });
    upstream.on('response', (up) => {
      // The server answered without upgrading: pass its answer on and close.
      let reply = `HTTP/1.1 ${up.statusCode} ${up.statusMessage}\r\n`;
      for (let i = 0; i < up.rawHeaders.length; i += 2) reply += `${up.rawHeaders[i]}: ${up.rawHeaders[i + 1]}\r\n`;
      socket.write(`${reply}\r\n`);
      up.pipe(socket);
    });
    upstream.on('error', () =>
      refuseSocket(socket, { status: 503, message: `${route.user}'s server is not answering.` }),
    );
    upstream.end();
  }

  return {
    owns: (req) => (req.url ?? '').startsWith(USER_PREFIX),

    http(req, res) {
      decideOrFailClosed(req, false).then((d) =>
        'route' in d ? forwardHttp(req, res, d.route) : refuseHttp(res, d.refusal),
      );
    },

    upgrade(req, socket, head) {
      socket.on('error', () => socket.destroy());
      decideOrFailClosed(req, true).then((d) =>
        'route' in d ? forwardUpgrade(req, socket, head, d.route) : refuseSocket(socket, d.refusal),
      );
    },

    close: () => agent.destroy(),
  };
}
