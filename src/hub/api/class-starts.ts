/**
 * A group's scheduled class starts: GET|POST /hub/api/groups/<group>/class-starts and DELETE
 * .../class-starts/<id>. Starting other people's servers takes admin:servers; seeing the schedule,
 * read:servers.
 */
import { randomBytes } from 'node:crypto';
import type Router from '@koa/router';
import { isGroupName } from '../../auth/username';
import { BerthError, notFound } from '../../errors';
import { dueOf } from '../../servers/class-starts';
import { jsonBody } from '../body';
import type { ApiDeps } from './context';

export function classStartsApi(router: Router, deps: ApiDeps): void {
  const { access, groups, log } = deps;

  /** The group named in the path, which exists, and the schedule (a hub without one answers 404). */
  async function groupOf(raw: string) {
    if (!isGroupName(raw) || !(await groups.exists(raw))) throw notFound(`No such group: ${raw.slice(0, 64)}`);
    if (!deps.classStarts) throw new BerthError(404, 'This hub schedules no class starts.');
    return { group: raw, classStarts: deps.classStarts };
  }

  router.get('/groups/:group/class-starts', async (ctx) => {
    await access.allowAll(ctx, 'read:servers');
    const { group, classStarts } = await groupOf(ctx.params.group);
    ctx.body = { items: await classStarts.list(group) };
  });

  router.post('/groups/:group/class-starts', jsonBody, async (ctx) => {
    const caller = await access.allowAll(ctx, 'admin:servers');
    const { group, classStarts } = await groupOf(ctx.params.group);
    const request = await classStarts.parse(group, ctx.request.body, Date.now());
    const id = randomBytes(6).toString('hex');
    const start = { id, group, ...request, created: new Date().toISOString(), by: caller.name };
    await classStarts.save(start);
    log.info('class start scheduled', {
      group,
      at: start.at,
      repeat: start.repeat,
      by: caller.name,
      begins: dueOf(start),
    });
    ctx.status = 201;
    ctx.body = start;
  });

  router.delete('/groups/:group/class-starts/:id', async (ctx) => {
    const caller = await access.allowAll(ctx, 'admin:servers');
    const { group, classStarts } = await groupOf(ctx.params.group);
    if (!(await classStarts.delete(group, ctx.params.id)))
      throw notFound(`No class start ${ctx.params.id.slice(0, 32)}`);
    log.info('class start deleted', { group, id: ctx.params.id, by: caller.name });
    ctx.status = 204;
  });
}
