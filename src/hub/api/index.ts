/**
 * The REST API under /hub/api, JupyterHub's: one router, its parts mounted in order.
 */
import Router from '@koa/router';
import { classStartsApi } from './class-starts';
import type { ApiDeps } from './context';
import { groupsApi } from './groups';
import { hubApi, JUPYTERHUB_API_VERSION } from './hub';
import { jobsApi } from './jobs';
import { oauthApi } from './oauth';
import { serversApi } from './servers';
import { tokensApi } from './tokens';
import { usageApi } from './usage';
import { usersApi } from './users';
import { volumesApi } from './volumes';

export type { ApiDeps };

export function apiRouter(deps: ApiDeps): Router {
  const router = new Router({ prefix: '/hub/api' });
  // As JupyterHub does on every API answer: clients read the API level from it.
  router.use(async (ctx, next) => {
    ctx.set('X-JupyterHub-Version', JUPYTERHUB_API_VERSION);
    await next();
  });
  hubApi(router, deps);
  usersApi(router, deps);
  serversApi(router, deps);
  tokensApi(router, deps);
  groupsApi(router, deps);
  classStartsApi(router, deps);
  volumesApi(router, deps);
  jobsApi(router, deps);
  usageApi(router, deps);
  oauthApi(router, deps);
  return router;
}
