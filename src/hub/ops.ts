/**
 * What operators and their tools read: /hub/health (200 when Redis and Docker answer) and
 * /hub/metrics (Prometheus text; needs the read:metrics scope, e.g. an admin's API token).
 */
import Router from '@koa/router';
import { BerthError } from '../errors';
import type { Access } from './access';
import type { HubDeps } from './app';
import { gauge } from './metrics';

async function healthy<T>(check: Promise<T>): Promise<boolean> {
  const timeout = new Promise<false>((r) => setTimeout(() => r(false), 2000).unref());
  return Promise.race([check.then(() => true, () => false), timeout]);
}

const DAY_MS = 24 * 3600 * 1000;

export function opsRouter(deps: HubDeps, access: Access): Router {
  const router = new Router();

  router.get('/hub/health', async (ctx) => {
    const [redis, docker] = await Promise.all([healthy(deps.redis.ping()), healthy(deps.docker.ping())]);
    ctx.status = redis && docker ? 200 : 503;
    ctx.body = { status: redis && docker ? 'ok' : 'unhealthy', redis: redis ? 'ok' : 'unreachable', docker: docker ? 'ok' : 'unreachable' };
  });

  router.get('/hub/metrics', async (ctx) => {
    const caller = await access.caller(ctx);
    if (!caller?.scopes.can('read:metrics')) throw new BerthError(403, "Access to metrics requires scope 'read:metrics'");
    const now = Date.now();
    const [users, records, d1, d7, d30] = await Promise.all([
      deps.users.count(),
      deps.state.list(),
      deps.activity.countSince(now - DAY_MS),
      deps.activity.countSince(now - 7 * DAY_MS),
      deps.activity.countSince(now - 30 * DAY_MS),
    ]);
    ctx.type = 'text/plain; version=0.0.4; charset=utf-8';
    ctx.body = deps.metrics.render([
      ...gauge('jupyterhub_total_users', 'total number of users', [[{}, users]]),
      ...gauge('jupyterhub_running_servers', 'the number of user servers currently running', [[{}, records.filter((r) => r.state === 'running').length]]),
      ...gauge('jupyterhub_pending_servers', 'the number of user servers starting or stopping', [[{}, records.filter((r) => r.state !== 'running').length]]),
      ...gauge('jupyterhub_active_users', 'number of users with server activity in a period', [
        [{ period: '24h' }, d1],
        [{ period: '7d' }, d7],
        [{ period: '30d' }, d30],
      ]),
    ]);
  });

  return router;
}
