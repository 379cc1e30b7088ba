/**
 * The REST API under /hub/api, with JupyterHub's semantics: the user model, and starting and
 * stopping a user's server (201 ready / 202 pending; 204 stopped / 202 stopping).
 */
import { PassThrough } from 'node:stream';
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
import type { ProgressEvent } from './progress';

const KEEPALIVE_MS = 8000;

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

  /**
   * The start's progress as an event stream (JupyterHub's): the events so far, then each new one,
   * ending with `ready` or `failed`. A running server gets `ready` at once; a failed start its
   * failure; a server that is not starting, 400.
   */
  router.get('/users/:name/server/progress', async (ctx) => {
    const { name } = await target(ctx);
    const view = await servers.view(name);
    const last = servers.progress.last(name);
    if (view.state === 'stopping' || (view.state === 'stopped' && !last?.failed && !view.lastError)) throw badRequest(`${name}'s server is not starting.`);
    const stream = new PassThrough();
    let ended = false;
    const cleanups: Array<() => void> = [];
    const end = () => {
      if (ended) return;
      ended = true;
      cleanups.forEach((c) => c());
      stream.end();
    };
    const send = (event: ProgressEvent) => {
      if (ended) return;
      stream.write(`data: ${JSON.stringify(event)}\n\n`);
      if (event.ready || event.failed) end();
    };
    ctx.req.socket.setTimeout(0);
    ctx.req.socket.setNoDelay(true);
    ctx.set({ 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' });
    ctx.type = 'text/event-stream';
    ctx.body = stream;
    ctx.req.on('close', end);
    const keepalive = setInterval(() => stream.write(':\n\n'), KEEPALIVE_MS);
    cleanups.push(() => clearInterval(keepalive));
    const url = `/user/${name}/`;
    if (view.state === 'running') send({ progress: 100, ready: true, message: `Server ready at ${url}`, url });
    else if (view.state === 'stopped') send(last?.failed ? last : { progress: 100, failed: true, message: `Spawn failed: ${view.lastError}` });
    else {
      const unfollow = servers.progress.follow(name, send);
      if (unfollow) cleanups.push(unfollow);
      else send({ progress: 50, message: `Your server is ${view.state}` });
    }
  });

  router.delete('/users/:name/server', async (ctx) => {
    const user = await target(ctx);
    emptyAnswer(ctx, (await servers.stop(user.name)) === 'stopped' ? 204 : 202);
  });

  return router;
}
