/**
 * The hub-wide part of the REST API: its version, information about it, who the caller is, and
 * the proxy's routing table.
 */
import type Router from '@koa/router';
import { VERSION } from '../../paths';
import { fullUserModel } from '../models';
import type { ApiDeps } from './context';
import { pageOf, readPage } from './paging';

/**
 * The JupyterHub release whose REST API Berth implements, answered as `version` where JupyterHub
 * answers its own: JupyterHub's clients compare it to decide what they may use (the idle culler
 * asks for state=ready from 1.3.0 on). Berth's own version is `berth`.
 */
export const JUPYTERHUB_API_VERSION = '5.2.1';

export function hubApi(router: Router, deps: ApiDeps): void {
  const { access, directory, routes } = deps;

  router.get('/', (ctx) => {
    ctx.body = { version: JUPYTERHUB_API_VERSION, berth: VERSION };
  });

  router.get('/info', async (ctx) => {
    await access.allowAll(ctx, 'read:hub');
    ctx.body = {
      version: JUPYTERHUB_API_VERSION,
      berth: VERSION,
      node: process.version,
      spawner: { class: 'berth.DockerSpawner', version: VERSION },
      authenticator: { class: 'berth.LocalAuthenticator', version: VERSION },
    };
  });

  router.get('/user', async (ctx) => {
    const caller = await access.require(ctx);
    const facts = await directory.facts(caller.name);
    ctx.body = {
      ...(facts ? fullUserModel(facts) : { kind: 'user', name: caller.name }),
      scopes: caller.scopes.list(),
      token_id: caller.tokenId ?? null,
      session_id: null,
    };
  });

  router.get('/proxy', async (ctx) => {
    await access.allowAll(ctx, 'proxy');
    const table = (await routes.all()).sort((a, b) => a.user.localeCompare(b.user));
    const entries = table.map(
      (r) =>
        [
          `/user/${r.user}/`,
          { routespec: `/user/${r.user}/`, target: r.target, data: { user: r.user, server_name: '' } },
        ] as const,
    );
    const page = readPage(ctx);
    const result = pageOf(ctx, page, entries);
    ctx.body = Array.isArray(result)
      ? Object.fromEntries(result)
      : { ...result, items: Object.fromEntries(result.items) };
  });
}
