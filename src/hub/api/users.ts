/**
 * /hub/api/users: the user list (state filter, name filter, sort, paging), and creating,
 * reading, changing and deleting users, as JupyterHub does (see the README for where Berth
 * differs).
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Caller } from '../../auth/koa-state';
import { hashPassword } from '../../auth/password';
import { isUsername, normaliseUsername } from '../../auth/username';
import { BerthError, badRequest, forbidden, notFound } from '../../errors';
import { deleteUser } from '../../servers/accounts';
import { jsonBody, objectBody } from '../body';
import { fullUserModel, type UserFacts, userModelFor } from '../models';
import type { ApiDeps } from './context';
import { type Page, paged, readPage } from './paging';

const STATES = ['active', 'ready', 'inactive'] as const;
const SORTS = ['id', 'name', 'last_activity', 'memory', 'cpu'];

function onlyKeys(body: Record<string, unknown>, allowed: string[]): void {
  const extra = Object.keys(body).filter((k) => !allowed.includes(k));
  if (extra.length) throw badRequest(`Unexpected field(s) ${extra.join(', ')}; allowed: ${allowed.join(', ')}.`);
}

type ListState = (typeof STATES)[number];

function stateOf(raw: string | undefined): ListState | undefined {
  if (raw === undefined) return undefined;
  if (!(STATES as readonly string[]).includes(raw)) throw badRequest(`Unrecognized state filter: ${raw.slice(0, 40)}`);
  return raw as ListState;
}

function sortOf(raw: string | undefined): { key: string; descending: boolean } {
  const sort = raw ?? 'id';
  const key = sort.replace(/^-/, '');
  if (!SORTS.includes(key))
    throw badRequest(`sort must be 'id', 'name', 'last_activity', 'memory' or 'cpu', not '${sort.slice(0, 40)}'`);
  return { key, descending: sort.startsWith('-') };
}

function query(ctx: Context, name: string): string | undefined {
  const v = ctx.query[name];
  if (Array.isArray(v)) throw badRequest(`Give '${name}' once.`);
  return v;
}

export function usersApi(router: Router, deps: ApiDeps): void {
  const { access, directory, users, servers, log } = deps;

  /** The named user's facts when the caller may at least know they exist; 404 otherwise. */
  async function visible(ctx: Context, name: string): Promise<UserFacts> {
    const caller = await access.require(ctx);
    const facts = isUsername(name) ? await directory.facts(name) : undefined;
    if (!facts || !userModelFor(caller.scopes, facts)) throw notFound(`No such user: ${name.slice(0, 64)}`);
    return facts;
  }

  /** What a sort by `key` orders by, for each user (-1: nothing to order by); none for names and ids. */
  async function measureOf(key: string): Promise<((name: string) => number) | undefined> {
    if (key === 'last_activity') {
      const [activity, logins] = await Promise.all([deps.activity.all(), deps.users.lastLogins()]);
      return (n) => Math.max(activity.get(n) ?? -1, logins.get(n) ?? -1);
    }
    // What running servers use now, as last sampled (Berth's own sorts: who uses the most).
    const usage = deps.usage?.all();
    if (key === 'memory') return (n) => usage?.get(n)?.memoryBytes ?? -1;
    if (key === 'cpu') return (n) => usage?.get(n)?.cpu ?? -1;
    return undefined;
  }

  /** The names on the requested page of users and how many match; filters and sorts read names and sorted sets only. */
  async function matching(
    caller: Caller,
    page: Page,
    state: ListState | undefined,
    nameFilter: string | undefined,
    sort: { key: string; descending: boolean },
  ): Promise<{ names: string[]; total: number }> {
    // Everyone, or a name filter, or those without a server: only the page is read.
    if (caller.scopes.can('list:users')) {
      const { offset, limit } = page;
      const pages = deps.users.pages;
      const desc = sort.descending;
      const order = sort.key === 'name' ? 'name' : 'account';
      const plain = !state && !nameFilter;
      if (plain && (sort.key === 'id' || sort.key === 'name')) return pages.inOrder(order, offset, limit, desc);
      if (!state && (sort.key === 'id' || sort.key === 'name'))
        return pages.filtered(nameFilter ?? '', order, desc, offset, limit);
      if (plain && sort.key === 'last_activity') return pages.byLastSeen(offset, limit, desc);
      if (plain && (sort.key === 'memory' || sort.key === 'cpu')) {
        const measure = (await measureOf(sort.key)) ?? (() => -1);
        const running = [...(deps.usage?.all().keys() ?? [])].filter((n) => measure(n) >= 0);
        running.sort((a, b) => (desc ? measure(b) - measure(a) : measure(a) - measure(b)));
        return pages.withFirst(running, offset, limit);
      }
      if (state === 'inactive' && !nameFilter && sort.key === 'id') return pages.withoutServers(offset, limit, desc);
    }
    // The rest from every name, or with a server only those who have one.
    const records = state ? new Map((await deps.records.list()).map((r) => [r.user, r.state])) : undefined;
    let names =
      records && state !== 'inactive'
        ? await deps.users.pages.inAccountOrder([...records.keys()])
        : await deps.users.names();
    if (!caller.scopes.can('list:users')) {
      const groups = await deps.groups.groupsOfMany(names);
      names = names.filter((user) => caller.scopes.can('list:users', { user, groups: groups.get(user) }));
    }
    if (nameFilter) names = names.filter((n) => n.includes(nameFilter));
    if (records) {
      names = names.filter((n) =>
        state === 'inactive' ? !records.has(n) : state === 'ready' ? records.get(n) === 'running' : records.has(n),
      );
    }
    if (sort.key === 'name') names.sort();
    const measure = await measureOf(sort.key);
    if (measure) {
      // Users without a value (never active, no running server) come last, whichever the direction.
      names.sort((a, b) => {
        const [x, y] = [measure(a), measure(b)];
        if (x < 0 || y < 0) return x === y ? 0 : x < 0 ? 1 : -1;
        return sort.descending ? y - x : x - y;
      });
    } else if (sort.descending) names.reverse();
    return { names: names.slice(page.offset, page.offset + page.limit), total: names.length };
  }

  router.get('/users', async (ctx) => {
    const caller = await access.require(ctx);
    if (!caller.scopes.any('list:users'))
      throw forbidden('Action is not authorized with current scopes; requires list:users.');
    const page = readPage(ctx);
    const state = stateOf(query(ctx, 'state'));
    const nameFilter = query(ctx, 'name_filter')?.toLowerCase();
    const sort = sortOf(query(ctx, 'sort'));
    const { names, total } = await matching(caller, page, state, nameFilter, sort);
    const window = await directory.factsMany(names);
    const models = window.map((f) => userModelFor(caller.scopes, f) ?? { kind: 'user', name: f.user.name });
    ctx.body = paged(ctx, page, models, total);
  });

  router.post('/users', jsonBody, async (ctx) => {
    const caller = await access.allowAll(ctx, 'admin:users');
    const body = objectBody(ctx);
    onlyKeys(body, ['usernames', 'admin']);
    const { usernames, admin } = body as { usernames?: unknown; admin?: unknown };
    if (!Array.isArray(usernames) || usernames.length === 0)
      throw badRequest('Must specify at least one user to create');
    if (admin !== undefined && typeof admin !== 'boolean') throw badRequest('admin must be true or false.');
    if (admin && !caller.admin) throw forbidden('Only admins can grant admin permissions');
    const names = usernames.map((u) => (typeof u === 'string' ? normaliseUsername(u) : undefined));
    const bad = usernames.filter((_, i) => names[i] === undefined).map((u) => String(u).slice(0, 64));
    if (bad.length) throw badRequest(`Invalid username${bad.length > 1 ? 's' : ''}: ${bad.join(', ')}`);
    const created: UserFacts[] = [];
    for (const name of new Set(names as string[])) {
      if (await users.create(name, { admin: admin === true })) {
        log.info('user created', { user: name, by: caller.name });
        created.push((await directory.facts(name))!);
      }
    }
    if (created.length === 0) throw new BerthError(409, `All ${new Set(names).size} users already exist`);
    ctx.status = 201;
    ctx.body = created.map(fullUserModel);
  });

  router.get('/users/:name', async (ctx) => {
    const caller = await access.require(ctx);
    ctx.body = userModelFor(caller.scopes, await visible(ctx, ctx.params.name));
  });

  router.post('/users/:name', jsonBody, async (ctx) => {
    const caller = await access.allowAll(ctx, 'admin:users');
    const name = normaliseUsername(ctx.params.name);
    if (!name) throw badRequest(`Invalid username: ${ctx.params.name.slice(0, 64)}`);
    const body = objectBody(ctx);
    onlyKeys(body, ['admin']);
    if (body.admin !== undefined && typeof body.admin !== 'boolean') throw badRequest('admin must be true or false.');
    if (body.admin && !caller.admin) throw forbidden('Only admins can grant admin permissions');
    if (!(await users.create(name, { admin: body.admin === true })))
      throw new BerthError(409, `User ${name} already exists`);
    log.info('user created', { user: name, by: caller.name });
    ctx.status = 201;
    ctx.body = fullUserModel((await directory.facts(name))!);
  });

  router.patch('/users/:name', jsonBody, async (ctx) => {
    const facts = await visible(ctx, ctx.params.name);
    const name = facts.user.name;
    const caller = await access.allow(ctx, 'admin:users', name);
    const body = objectBody(ctx);
    onlyKeys(body, ['name', 'admin', 'password']);
    if (body.name !== undefined && body.name !== name) {
      throw badRequest(
        'Berth does not rename users: their home volume and container are named after them. Create a new user instead.',
      );
    }
    if (body.admin !== undefined) {
      if (typeof body.admin !== 'boolean') throw badRequest('admin must be true or false.');
      if (!caller.admin)
        throw forbidden(
          facts.user.admin ? 'Only admins can modify other admins' : 'Only admins can grant admin permissions',
        );
      await users.setAdmin(name, body.admin);
      log.info(body.admin ? 'admin granted' : 'admin revoked', { user: name, by: caller.name });
    }
    if (body.password !== undefined) {
      if (typeof body.password !== 'string' || body.password.length < 8 || body.password.length > 1024)
        throw badRequest('A password needs 8 to 1024 characters.');
      await users.setPassword(name, await hashPassword(body.password));
      await deps.sessions.destroyAllOf(name); // a new password ends every old session
      log.info('password reset', { user: name, by: caller.name });
    }
    ctx.body = fullUserModel((await directory.facts(name))!);
  });

  router.delete('/users/:name', async (ctx) => {
    const facts = await visible(ctx, ctx.params.name);
    const name = facts.user.name;
    const caller = await access.allow(ctx, 'delete:users', name);
    if (name === caller.name) throw badRequest('Cannot delete yourself!');
    if ((await servers.view(name)).state === 'stopping')
      throw badRequest(`${name}'s server is in the process of stopping, please wait.`);
    await deleteUser(deps, name, deps.deleteHome);
    log.info('user deleted', { user: name, by: caller.name, home: deps.deleteHome });
    ctx.status = 204;
  });
}
