/**
 * /hub/api/users/<name>/tokens: API tokens, shown once when made and stored only as a hash.
 * A token gets the scopes asked for (all of its owner's, "inherit", by default) and never more
 * than its owner holds.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { badRequest, notFound } from '../../errors';
import { jsonBody, objectBody } from '../body';
import { tokenModel } from '../models';
import type { ApiDeps } from './context';

/** The longest a token may live: a year. */
const MAX_EXPIRES_IN = 365 * 24 * 3600;

export function tokensApi(router: Router, deps: ApiDeps): void {
  const { access, users, tokens, log } = deps;

  async function owner(ctx: Context, scope: string) {
    const name = String(ctx.params.name);
    const caller = await access.allow(ctx, scope, name);
    const user = await users.get(name);
    if (!user) throw notFound(`No such user: ${name}`);
    return { caller, user };
  }

  router.get('/users/:name/tokens', async (ctx) => {
    const { user } = await owner(ctx, 'read:tokens');
    ctx.body = { api_tokens: (await tokens.list(user.name)).map(tokenModel) };
  });

  router.post('/users/:name/tokens', jsonBody, async (ctx) => {
    const { caller, user } = await owner(ctx, 'tokens');
    const body = objectBody(ctx);
    const { expires_in: expiresIn, note, scopes } = body as { expires_in?: unknown; note?: unknown; scopes?: unknown };
    if (body.roles !== undefined) throw badRequest('Berth has no roles to give a token; ask for scopes instead.');
    if (
      expiresIn !== undefined &&
      expiresIn !== null &&
      (typeof expiresIn !== 'number' || !Number.isInteger(expiresIn) || expiresIn < 0 || expiresIn > MAX_EXPIRES_IN)
    ) {
      throw badRequest(`expires_in must be a whole number of seconds up to ${MAX_EXPIRES_IN}, or null.`);
    }
    if (note !== undefined && (typeof note !== 'string' || note.length > 500))
      throw badRequest('note must be text of at most 500 characters.');
    if (
      scopes !== undefined &&
      scopes !== null &&
      (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string'))
    )
      throw badRequest('scopes must be a list of scope names.');
    const requested = (scopes as string[] | null | undefined)?.length ? (scopes as string[]) : ['inherit'];
    if (!requested.includes('inherit')) {
      const missing = access.roleScopes(user).holds(requested);
      if (missing.length)
        throw badRequest(`Not assigning requested scopes ${missing.join(', ')} not held by User ${user.name}`);
    }
    const defaultNote = `Requested via api${caller.name === user.name ? '' : ` by user ${caller.name}`}`;
    const { token, record } = await tokens.create(user.name, {
      note: (note as string | undefined) || defaultNote,
      scopes: requested,
      expiresInSeconds: (expiresIn as number | null | undefined) || undefined,
    });
    log.info('token created', { user: user.name, id: record.id, by: caller.name, scopes: requested });
    ctx.status = 201;
    ctx.body = { ...tokenModel(record), token };
  });

  router.get('/users/:name/tokens/:id', async (ctx) => {
    const { user } = await owner(ctx, 'read:tokens');
    const record = await tokens.get(user.name, ctx.params.id);
    if (!record) throw notFound(`No such token ${ctx.params.id.slice(0, 40)} for user ${user.name}`);
    ctx.body = tokenModel(record);
  });

  router.delete('/users/:name/tokens/:id', async (ctx) => {
    const { caller, user } = await owner(ctx, 'tokens');
    if (!(await tokens.delete(user.name, ctx.params.id)))
      throw notFound(`No such token ${ctx.params.id.slice(0, 40)} for user ${user.name}`);
    log.info('token revoked', { user: user.name, id: ctx.params.id, by: caller.name });
    ctx.status = 204;
    ctx.type = 'text/plain';
    ctx.body = '';
  });
}
