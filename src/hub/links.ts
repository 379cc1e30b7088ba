/**
 * The links JupyterHub users share, kept working: `/hub/user-redirect/<path>` (nbgitpuller and
 * course links) sends each person to `<path>` on their own server, and `/hub/user/<name>/<path>`
 * to `<path>` on that user's server, which only that user may follow. A stopped server is
 * started first (from the image its owner last picked), as JupyterHub starts one without an
 * options form, and the pending page moves on to the path once it is ready; one followed from
 * another site shows the spawn page first.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import { safeNext } from '../auth/next';
import { serverPrefix } from '../auth/single-user';
import { badRequest, notFound } from '../errors';
import { pageCaller } from './access';
import type { HubDeps } from './deps';

/**
 * `rest` of a link (the part after the user, query included) as a path on `user`'s server, or
 * a 400 when it would leave it (`..`, another host).
 */
export function serverPath(user: string, rest: string): string {
  const prefix = serverPrefix(user);
  const path = safeNext(`${prefix}${rest}`, '');
  if (!path.startsWith(prefix)) throw badRequest('That link leads out of your server.');
  return path;
}

/** `raw` (a `next=` from a request) when it is a path on `user`'s server, else that server's start. */
export function pathOnServer(user: string, raw: unknown): string {
  const path = safeNext(raw, '');
  return path.startsWith(serverPrefix(user)) ? path : serverPrefix(user);
}

/** The path after `mount` in the request's raw URL (so that the query and encoding stay as sent). */
function after(ctx: Context, mount: string): string {
  return ctx.originalUrl.slice(mount.length).replace(/^\//, '');
}

export function linksRouter(deps: Pick<HubDeps, 'servers'>): Router {
  const router = new Router();

  /**
   * Sends the caller to `path` on `user`'s server, starting the server first when it is stopped.
   * A link followed from another site asks first (the spawn page, then on to `path`): the
   * session cookie rides along on it, and a page elsewhere must not start people's servers.
   */
  async function toServer(ctx: Context, user: string, path: string): Promise<void> {
    let view = await deps.servers.view(user);
    const fromElsewhere = ['cross-site', 'same-site'].includes(ctx.get('sec-fetch-site'));
    if (view.state === 'stopped' && fromElsewhere) return ctx.redirect(`/hub/spawn?next=${encodeURIComponent(path)}`);
    if (view.state === 'stopped' && (await deps.servers.start(user)) === 'ready') view = await deps.servers.view(user);
    if (view.state === 'running') return ctx.redirect(path);
    ctx.redirect(`/hub/spawn-pending/${user}?next=${encodeURIComponent(path)}`);
  }

  router.get(/^\/hub\/user-redirect(?:\/.*)?$/, async (ctx) => {
    const caller = pageCaller(ctx);
    await toServer(ctx, caller.name, serverPath(caller.name, after(ctx, '/hub/user-redirect')));
  });

  router.get(/^\/hub\/user\/[^/]+(?:\/.*)?$/, async (ctx) => {
    const caller = pageCaller(ctx);
    const segment = ctx.path.split('/')[3] ?? '';
    // Only its owner follows a link to a server; anyone else learns nothing, not even whether it exists.
    if (segment !== caller.name) throw notFound('Not found');
    await toServer(ctx, caller.name, serverPath(caller.name, after(ctx, `/hub/user/${segment}`)));
  });

  return router;
}
