/**
 * The proxy's routing table: user → where their server answers and the token it wants.
 * One interface, a Redis implementation (the real one, read by the proxy on every request)
 * and a memory one (for fast tests); both pass the same contract test.
 */
import { keys } from './keys';
import type { RedisClient } from './redis';

export interface Route {
  user: string;
  /** Base URL of the user's notebook server, e.g. http://127.0.0.1:32768 */
  target: string;
  /** The server's own token, injected by the proxy; never sent to a browser. */
  token: string;
  /** The server is paused (HUB_PAUSE_AFTER): the proxy has the hub resume it first. */
  paused?: boolean;
}

export interface RouteStore {
  get(user: string): Promise<Route | undefined>;
  set(route: Route): Promise<void>;
  /** Safe when there is no route. */
  delete(user: string): Promise<void>;
  all(): Promise<Route[]>;
  /** Marks `user`'s route paused or not; nothing when there is no route (it is never made again by this). */
  setPaused(user: string, paused: boolean): Promise<void>;
}

function stored(route: Route): string {
  const { user, target, token, paused } = route;
  return JSON.stringify(paused ? { user, target, token, paused } : { user, target, token });
}

/** A route as stored (one JSON string, so the proxy can fetch it with the session in one MGET). */
export function parseRoute(raw: string | null | undefined): Route | undefined {
  if (!raw) return undefined;
  try {
    const r = JSON.parse(raw) as Partial<Route>;
    return typeof r.user === 'string' && typeof r.target === 'string' && typeof r.token === 'string'
      ? { user: r.user, target: r.target, token: r.token, ...(r.paused === true ? { paused: true } : {}) }
      : undefined;
  } catch {
    return undefined;
  }
}

export class RedisRouteStore implements RouteStore {
  constructor(private readonly redis: RedisClient) {}

  async get(user: string): Promise<Route | undefined> {
    // A route stored as a hash by an older Berth is as good as none (it is re-made), as in all();
    // any other error, Redis being unreachable first of all, is not hidden.
    const raw = await this.redis.get(keys.route(user)).catch((err: Error) => {
      if (err.message.startsWith('WRONGTYPE')) return null;
      throw err;
    });
    return parseRoute(raw);
  }

  async set(route: Route): Promise<void> {
    await this.redis
      .multi()
      .set(keys.route(route.user), stored(route))
      .zadd(keys.routes, Date.now(), route.user)
      .exec();
  }

  async delete(user: string): Promise<void> {
    await this.redis.multi().del(keys.route(user)).zrem(keys.routes, user).exec();
  }

  async setPaused(user: string, paused: boolean): Promise<void> {
    const route = await this.get(user);
    // XX: only over the route read; a route deleted meanwhile stays deleted.
    if (route) await this.redis.set(keys.route(user), stored({ ...route, paused }), 'XX');
  }

  async all(): Promise<Route[]> {
    const users = await this.redis.zrange(keys.routes, 0, '-1');
    if (users.length === 0) return [];
    // MGET answers nil for a key of another type (a route stored by an older Berth): it is re-made.
    const raw = await this.redis.mget(users.map(keys.route));
    return raw.map(parseRoute).filter((r): r is Route => r !== undefined);
  }
}

export class MemoryRouteStore implements RouteStore {
  private readonly routes = new Map<string, Route>();

  async get(user: string): Promise<Route | undefined> {
    const r = this.routes.get(user);
    return r && { ...r };
  }

  async set(route: Route): Promise<void> {
    this.routes.set(route.user, { ...route });
  }

  async delete(user: string): Promise<void> {
    this.routes.delete(user);
  }

  async setPaused(user: string, paused: boolean): Promise<void> {
    const route = this.routes.get(user);
    if (route) this.routes.set(user, { ...route, paused: paused || undefined });
  }

  async all(): Promise<Route[]> {
    return [...this.routes.values()].map((r) => ({ ...r }));
  }
}
