/**
 * /hub/api/groups: groups of users, which scopes can name (`read:users!group=class1`), and their
 * properties, which shape their members' servers (groups/properties.ts): checked field by field,
 * and against every other group, when they are set.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { GROUP_NAME_RULE, isGroupName, normaliseUsername } from '../../auth/username';
import { parseBytes } from '../../config/values';
import { BerthError, badRequest, forbidden, notFound } from '../../errors';
import { conflicts, type GroupProperties, parseProperties } from '../../groups/properties';
import { leaveDatabase } from '../../servers/databases';
import { jsonBody, objectBody } from '../body';
import { groupModel } from '../models';
import type { ApiDeps } from './context';
import { pageOf, readPage } from './paging';

export function groupsApi(router: Router, deps: ApiDeps): void {
  const { access, groups, users, catalogue, volumes, records, log } = deps;

  /** A group that stops having a database (or being) has its database container removed; its data stays. */
  async function closeDatabase(name: string, before: Record<string, unknown>, after: GroupProperties | undefined) {
    const had = Array.isArray(before.services) && before.services.includes('postgres');
    if (!had || after?.services?.includes('postgres')) return;
    // The group's settings are saved already: a database that will not go is for an admin, not the request.
    await deps.spawner.databases?.close(name).catch((err: unknown) => {
      log.error('could not remove the database of a group', { group: name, err });
    });
  }

  /** Running servers of `members` started with the group's older settings (none to change: nothing). */
  async function outdate(name: string, members: string[]): Promise<void> {
    if (Object.keys(await groups.properties(name)).length > 0) await records.markOutdated(members);
  }

  function groupName(raw: string): string {
    if (!isGroupName(raw)) throw notFound(`No such group: ${raw.slice(0, 64)}`);
    return raw;
  }

  /** The caller must hold `scope` for group `name` (unfiltered, or with !group=name). */
  async function allowGroup(ctx: Context, scope: string, name: string) {
    const caller = await access.require(ctx);
    if (!caller.scopes.can(scope) && !caller.scopes.can(scope, { user: '', groups: [name] })) {
      throw forbidden(`Action is not authorized with current scopes; requires ${scope}.`);
    }
    return caller;
  }

  /** `body.users`, each a user that exists. */
  async function members(body: Record<string, unknown>, required: boolean): Promise<string[]> {
    if (body.users === undefined && !required) return [];
    if (!Array.isArray(body.users)) throw badRequest('users must be a list of usernames.');
    const names: string[] = [];
    for (const raw of body.users) {
      const name = typeof raw === 'string' ? normaliseUsername(raw) : undefined;
      if (!name || !(await users.get(name))) throw badRequest(`No such user: ${String(raw).slice(0, 64)}`);
      names.push(name);
    }
    return [...new Set(names)];
  }

  router.get('/groups', async (ctx) => {
    const caller = await access.require(ctx);
    if (!caller.scopes.any('list:groups'))
      throw forbidden('Action is not authorized with current scopes; requires list:groups.');
    const all = (await groups.list()).filter(
      (g) => caller.scopes.can('list:groups') || caller.scopes.can('list:groups', { user: '', groups: [g.name] }),
    );
    ctx.body = pageOf(ctx, readPage(ctx), all.map(groupModel));
  });

  router.get('/groups/:group', async (ctx) => {
    const name = groupName(ctx.params.group);
    await allowGroup(ctx, 'read:groups', name);
    const group = await groups.get(name);
    if (!group) throw notFound(`No such group: ${name}`);
    ctx.body = groupModel(group);
  });

  router.post('/groups/:group', jsonBody, async (ctx) => {
    const name = ctx.params.group;
    if (!isGroupName(name)) throw badRequest(`Invalid group name: ${GROUP_NAME_RULE}.`);
    const caller = await allowGroup(ctx, 'admin:groups', name);
    const body = objectBody(ctx);
    const list = await members(body, false);
    if (!(await groups.create(name, list))) throw new BerthError(409, `Group ${name} already exists`);
    log.info('group created', { group: name, by: caller.name });
    ctx.status = 201;
    ctx.body = groupModel((await groups.get(name))!);
  });

  router.delete('/groups/:group', async (ctx) => {
    const name = groupName(ctx.params.group);
    const caller = await allowGroup(ctx, 'delete:groups', name);
    const before = await groups.get(name);
    if (before) await outdate(name, before.users);
    if (!(await groups.delete(name))) throw notFound(`No such group: ${name}`);
    if (before) await closeDatabase(name, before.properties, undefined);
    await deps.classStarts?.deleteGroup(name);
    log.info('group deleted', { group: name, by: caller.name });
    ctx.status = 204;
  });

  router.put('/groups/:group/properties', jsonBody, async (ctx) => {
    const name = groupName(ctx.params.group);
    // Unfiltered only: properties reach every shared volume and every image, not just this group's.
    const caller = await access.require(ctx);
    if (!caller.scopes.can('admin:groups'))
      throw forbidden('Action is not authorized with current scopes; requires admin:groups (for every group).');
    if (!(await groups.exists(name))) throw notFound(`No such group: ${name}`);
    const properties = parseProperties(ctx.request.body, {
      images: (await catalogue.list()).map((i) => i.id),
      volumes: (await volumes.list()).map((v) => v.name),
      bytes: parseBytes,
    });
    if (properties.services?.length && !deps.spawner.databases)
      throw badRequest('properties.services: group databases work on one Docker engine only, not yet on a swarm.', {
        field: 'properties.services',
      });
    // PostgreSQL names are 63 bytes at most, and the database is named after the group.
    if (properties.services?.length && name.length > 63)
      throw badRequest('properties.services: a group with a database needs a name of 63 characters at most.', {
        field: 'properties.services',
      });
    // Checked against every group, members or not: membership changes later without a check.
    for (const [other, theirs] of await groups.allProperties()) {
      const clash = other === name ? undefined : conflicts(properties, theirs as GroupProperties, other);
      if (clash) throw badRequest(`properties.${clash}`, { field: `properties.${clash.split(':')[0]}` });
    }
    const before = await groups.properties(name);
    await groups.setProperties(name, properties);
    if (JSON.stringify(properties) !== JSON.stringify(before))
      await records.markOutdated((await groups.get(name))?.users ?? []);
    await closeDatabase(name, before, properties);
    log.info('group properties set', { group: name, by: caller.name, set: Object.keys(properties) });
    ctx.body = groupModel((await groups.get(name))!);
  });

  for (const [method, change] of [
    ['post', 'add'],
    ['delete', 'remove'],
  ] as const) {
    router[method]('/groups/:group/users', jsonBody, async (ctx) => {
      const name = groupName(ctx.params.group);
      const caller = await allowGroup(ctx, 'groups', name);
      if (!(await groups.exists(name))) throw notFound(`No such group: ${name}`);
      const list = await members(objectBody(ctx), true);
      await groups[change](name, list);
      await outdate(name, list);
      if (change === 'remove') await leaveDatabase(deps, name, list);
      log.info(change === 'add' ? 'group members added' : 'group members removed', {
        group: name,
        users: list,
        by: caller.name,
      });
      ctx.body = groupModel((await groups.get(name))!);
    });
  }
}
