/**
 * /hub/api/volumes: the shared volumes groups mount (Berth's own; JupyterHub has none), for
 * holders of admin:groups. A volume a group mounts cannot be deleted: the answer names the groups
 * and their members.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { forbidden } from '../../errors';
import { listVolumes, removeVolume } from '../../servers/volumes';
import { checkVolumeName } from '../../spawner/shared-volumes';
import type { ApiDeps } from './context';

export function volumesApi(router: Router, deps: ApiDeps): void {
  const { access, volumes, log } = deps;

  async function admin(ctx: Context) {
    const caller = await access.require(ctx);
    if (!caller.scopes.can('admin:groups'))
      throw forbidden('Action is not authorized with current scopes; requires admin:groups.');
    return caller;
  }

  router.get('/volumes', async (ctx) => {
    await admin(ctx);
    ctx.body = await listVolumes(deps);
  });

  router.post('/volumes/:name', async (ctx) => {
    const caller = await admin(ctx);
    const volume = await volumes.create(checkVolumeName(ctx.params.name));
    log.info('volume created', { volume: volume.name, by: caller.name });
    ctx.status = 201;
    ctx.body = { ...volume, groups: [] };
  });

  router.delete('/volumes/:name', async (ctx) => {
    const caller = await admin(ctx);
    const name = checkVolumeName(ctx.params.name);
    await removeVolume(deps, name);
    log.info('volume deleted', { volume: name, by: caller.name });
    ctx.status = 204;
  });
}
