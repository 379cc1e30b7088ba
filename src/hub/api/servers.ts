/**
 * /hub/api/users/<name>/server: start (201 ready / 202 pending; body = user options such as
 * {"image": id}), stop (204 stopped / 202 stopping) and the start's progress as an event stream.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { badRequest, notFound } from '../../errors';
import type { ProgressEvent } from '../../servers/progress';
import { jsonBody, objectBody } from '../body';
import type { ApiDeps } from './context';
import { eventStream } from './event-stream';

/** How far in the future a reported activity may be (clocks drift), as JupyterHub allows. */
const FUTURE_SLACK_MS = 59 * 60_000;

/** The newest time in an activity report ({last_activity, servers: {"": {last_activity}}}); a 400 for a bad one. */
function reportedActivity(body: Record<string, unknown>): number {
  const times: unknown[] = [];
  if (body.last_activity !== undefined) times.push(body.last_activity);
  if (body.servers !== undefined) {
    if (!body.servers || typeof body.servers !== 'object' || Array.isArray(body.servers)) {
      throw badRequest('servers must be an object of server names.');
    }
    for (const [server, report] of Object.entries(body.servers)) {
      if (server !== '')
        throw badRequest(`No such server: '${server.slice(0, 40)}' (Berth runs one server per user, named '').`);
      times.push((report as { last_activity?: unknown } | null)?.last_activity);
    }
  }
  if (times.length === 0) throw badRequest('The body must give last_activity or servers.');
  const parsed = times.map((t) => (typeof t === 'string' ? Date.parse(t) : Number.NaN));
  if (parsed.some(Number.isNaN)) throw badRequest('last_activity must be an ISO 8601 time.');
  const newest = Math.max(...parsed);
  if (newest > Date.now() + FUTURE_SLACK_MS) throw badRequest('last_activity is in the future.');
  return newest;
}

export function serversApi(router: Router, deps: ApiDeps): void {
  const { access, users, servers, records, activity } = deps;

  /** The user named in the path, when the caller holds `scope` for them (404 / 403 otherwise). */
  async function target(name: string, scope: string, ctx: Context): Promise<string> {
    await access.allow(ctx, scope, name);
    if (!(await users.get(name))) throw notFound(`No such user: ${name}`);
    return name;
  }

  /** JupyterHub answers start and stop with a status and an empty text body. */
  function emptyAnswer(ctx: Context, status: number): void {
    ctx.status = status;
    ctx.type = 'text/plain';
    ctx.body = '';
  }

  router.post('/users/:name/server', jsonBody, async (ctx) => {
    const name = await target(ctx.params.name, 'start:servers', ctx);
    const { image } = objectBody(ctx);
    emptyAnswer(ctx, (await servers.start(name, image)) === 'ready' ? 201 : 202);
  });

  /**
   * JupyterHub's activity report, from a server (its own API token holds users:activity): the
   * newest of the times given moves the server's last activity forward, never back.
   */
  router.post('/users/:name/activity', jsonBody, async (ctx) => {
    const name = await target(ctx.params.name, 'users:activity', ctx);
    const at = reportedActivity(objectBody(ctx));
    if (await records.get(name)) await activity.touch(name, at);
    ctx.status = 200;
    ctx.type = 'text/plain';
    ctx.body = '';
  });

  router.delete('/users/:name/server', async (ctx) => {
    const name = await target(ctx.params.name, 'delete:servers', ctx);
    emptyAnswer(ctx, (await servers.stop(name)) === 'stopped' ? 204 : 202);
  });

  /**
   * The start's progress as an event stream (JupyterHub's): the events so far, then each new one,
   * ending with `ready` or `failed`. A running server gets `ready` at once; a failed start its
   * failure; a server that is not starting, 400.
   */
  router.get('/users/:name/server/progress', async (ctx) => {
    const name = await target(ctx.params.name, 'read:servers', ctx);
    const view = await servers.view(name);
    const last = servers.progress.last(name);
    if (view.state === 'stopping' || (view.state === 'stopped' && !last?.failed && !view.lastError))
      throw badRequest(`${name}'s server is not starting.`);
    const events = eventStream(ctx);
    const send = (event: ProgressEvent) => {
      events.send(event);
      if (event.ready || event.failed) events.end();
    };
    const url = `/user/${name}/`;
    if (view.state === 'running') send({ progress: 100, ready: true, message: `Server ready at ${url}`, url });
    else if (view.state === 'stopped')
      send(last?.failed ? last : { progress: 100, failed: true, message: `Spawn failed: ${view.lastError}` });
    else {
      const unfollow = servers.progress.follow(name, send);
      if (unfollow) events.onEnd(unfollow);
      else send({ progress: 50, message: `Your server is ${view.state}` });
    }
  });
}
