/**
 * What the proxy reads on every request, in one round trip: the route to a user's server and,
 * given a session id, that session (one MGET, auto-pipelined on the proxy's connection).
 */
import { keys } from './keys';
import type { RedisClient } from './redis';
import { parseRoute, type Route } from './routes';
import { parseSession, type SessionData } from './sessions';

export interface RouteAndSession {
  route?: Route;
  session?: SessionData;
}

export class ProxyReads {
  constructor(private readonly redis: RedisClient) {}

  async routeAndSession(user: string, sessionId: string | undefined): Promise<RouteAndSession> {
    if (!sessionId) return { route: parseRoute(await this.redis.get(keys.route(user))) };
    const [route, session] = await this.redis.mget(keys.route(user), keys.session(sessionId));
    return { route: parseRoute(route), session: parseSession(session) };
  }
}
