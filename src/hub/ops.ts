/**
 * What operators and their tools read: /hub/health (200 when Redis and the container engine
 * answer) and /hub/metrics (Prometheus text; needs the read:metrics scope, e.g. an admin's
 * API token).
 */
import Router from '@koa/router';
import { BerthError } from '../errors';
import type { Access } from './access';
import type { HubDeps } from './deps';

/** Whether `check` resolves within two seconds. */
async function answers(check: () => Promise<unknown>): Promise<boolean> {
  const timeout = new Promise<false>((r) => setTimeout(() => r(false), 2000).unref());
  return Promise.race([
    check().then(
      () => true,
      () => false,
    ),
    timeout,
  ]);
}

export function opsRouter(deps: HubDeps, access: Access): Router {
  const router = new Router();

  router.get('/hub/health', async (ctx) => {
    const [redis, docker] = await Promise.all([answers(deps.health.redis), answers(deps.health.engine)]);
    ctx.status = redis && docker ? 200 : 503;
    ctx.body = {
      status: redis && docker ? 'ok' : 'unhealthy',
      redis: redis ? 'ok' : 'unreachable',
      docker: docker ? 'ok' : 'unreachable',
    };
  });

  router.get('/hub/metrics', async (ctx) => {
    const caller = await access.caller(ctx);
    if (!caller?.scopes.can('read:metrics'))
      throw new BerthError(403, "Access to metrics requires scope 'read:metrics'");
    ctx.type = deps.metrics.contentType;
    ctx.body = await deps.metrics.render();
  });

  return router;
}
