/**
 * The REST API under /hub/api, with JupyterHub's semantics: the user model, and starting and
 * stopping a user's server (201 ready / 202 pending; 204 stopped / 202 stopping).
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import { isUsername } from '../auth/username';
import { badRequest, notFound } from '../errors';
import { VERSION } from '../paths';
import type { User } from '../store/users';
import { apiCaller, mayActOn } from './access';
import type { HubDeps } from './app';
import { jsonBody } from './body';
import { userModel } from './models';

export function apiRouter(deps: HubDeps): Router {
  const { users, servers } = deps;
  const router = new Router({ prefix: '/hub/api' });

  /** The user named in the path, when the caller may act on them; 404 otherwise. */
  async function target(ctx: Context): Promise<User> {
    const caller = apiCaller(ctx);
    const name = String(ctx.params.name);
    if (!isUsername(name)) throw notFound(`No such user: ${name.slice(0, 64)}`);
    mayActOn(caller, name);
    const user = await users.get(name);
    if (!user) throw notFound(`No such user: ${name}`);
    return user;
  }

  /** JupyterHub answers start and stop with a status and an empty text body. */
  function emptyAnswer(ctx: Context, status: number): void {
    ctx.status = status;
    ctx.type = 'text/plain';
    ctx.body = '';
  }

  router.get('/', (ctx) => {
    ctx.body = { version: VERSION };
  });

  router.get('/users/:name', async (ctx) => {
    const user = await target(ctx);
    ctx.body = userModel(user, await servers.view(user.name));
  });

  router.post('/users/:name/server', jsonBody, async (ctx) => {
    const user = await target(ctx);
    const options = ctx.request.body ?? {};
    if (typeof options !== 'object' || Array.isArray(options)) throw badRequest('The body must be a JSON object of user options, e.g. {"image": "python"}.');
    const { image } = options as { image?: unknown };
    emptyAnswer(ctx, (await servers.start(user.name, image)) === 'ready' ? 201 : 202);
  });

  router.delete('/users/:name/server', async (ctx) => {
    const user = await target(ctx);
    emptyAnswer(ctx, (await servers.stop(user.name)) === 'stopped' ? 204 : 202);
  });

  return router;
}
