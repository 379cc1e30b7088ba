/**
 * The hub's pages: home (start and stop), the pending page, health, and the
 * static files the pages use. Start and stop themselves go through the REST API (api.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import Router from '@koa/router';
import type { Context } from 'koa';
import { serverPrefix } from '../auth/single-user';
import { isUsername } from '../auth/username';
import { XSRF_FIELD, xsrfMatches } from '../auth/xsrf';
import type { CatalogueImage } from '../catalogue/catalogue';
import { BerthError, forbidden } from '../errors';
import { STATIC_DIR } from '../paths';
import { choose, grantsOf, offeredTo } from '../servers/grants';
import { mayActOn, pageCaller, pageContext } from './access';
import { formBody, formFields } from './body';
import type { HubDeps } from './deps';
import { pathOnServer } from './links';
import { parseUsageQuery, usageCsv, usageItems, usageRow } from './usage-report';
import { adminPage, groupsPage, homePage, jobsPage, pendingPage, spawnPage, tokenPage, usagePage } from './views';

export const HOME = '/hub/home';
const STATIC_TYPES: Record<string, string> = {
  '.svg': 'image/svg+xml',
  '.js': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

export function render(ctx: Context, page: { text: string }, status = 200): void {
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = page.text;
}

/** The static files, read once: a fixed set, so no request path ever reaches the file system. */
function loadStatic(): Map<string, { type: string; body: Buffer }> {
  const files = new Map<string, { type: string; body: Buffer }>();
  for (const name of fs.readdirSync(STATIC_DIR)) {
    const type = STATIC_TYPES[path.extname(name)];
    if (type) files.set(name, { type, body: fs.readFileSync(path.join(STATIC_DIR, name)) });
  }
  return files;
}

export function pagesRouter(deps: HubDeps): Router {
  const { users, servers, catalogue, groups } = deps;
  const router = new Router();
  const staticFiles = loadStatic();

  router.get('/', (ctx) => ctx.redirect('/hub/'));
  router.get('/favicon.ico', (ctx) => {
    ctx.status = 204;
  });
  router.get(['/hub', '/hub/'], (ctx) => ctx.redirect(ctx.state.user ? HOME : '/hub/login'));

  /** The catalogue, or undefined while the container engine does not answer (pages still render). */
  async function offered(): Promise<CatalogueImage[] | undefined> {
    try {
      return await catalogue.list();
    } catch (err) {
      if (err instanceof BerthError && err.status === 503) return undefined;
      throw err;
    }
  }

  router.get(HOME, async (ctx) => {
    const caller = pageCaller(ctx);
    const view = await servers.view(caller.name);
    const images = await offered();
    const grants = await grantsOf(groups, caller.name);
    const mine = images && offeredTo(images, grants);
    const image =
      view.state === 'stopped' ? choose(catalogue, mine ?? [], await users.lastImage(caller.name)) : view.record.image;
    render(
      ctx,
      homePage(pageContext(ctx), {
        name: caller.name,
        state: view.state,
        // The title, for people (the id itself when the image is gone).
        image: images?.find((i) => i.id === image)?.title ?? image,
        lastError: view.state === 'stopped' ? view.lastError : undefined,
        engineDown: images === undefined,
        usage: view.state === 'running' ? deps.usage?.of(caller.name) : undefined,
        allowance: await servers.limits.allowance(caller.name, grants),
        paused: view.state === 'running' && view.record.paused !== undefined,
        offer: mine && {
          images: mine.map((i) => i.title),
          memory: grants.memory,
          cpu: grants.cpu,
          mounts: grants.volumes,
          internet: grants.network === 'internet',
          database: grants.database,
        },
      }),
    );
  });

  /** The user whose server a spawn page is about: the caller, or anyone for an admin. */
  async function spawnTarget(ctx: Context): Promise<string> {
    const caller = pageCaller(ctx);
    const name = ctx.params.name ?? caller.name;
    if (!isUsername(name)) throw new BerthError(404, 'Not found');
    mayActOn(caller, name);
    if (!(await users.get(name))) throw new BerthError(404, `No such user: ${name}`);
    return name;
  }

  async function renderSpawn(
    ctx: Context,
    name: string,
    next: string,
    error?: { status: number; message: string; image?: string },
  ): Promise<void> {
    const all = await offered();
    // Only what the user's groups offer (the start refuses the rest too).
    const images = all && offeredTo(all, await grantsOf(groups, name));
    const selected = error?.image ?? choose(catalogue, images ?? [], await users.lastImage(name)) ?? '';
    const view = { name, images, selected, error: error?.message, next };
    render(ctx, spawnPage(pageContext(ctx), view), error?.status ?? 200);
  }

  /** Where to go once `name`'s server is up: a path on it (a shared link, `next`), else its start. */
  const pendingOrServer = (ctx: Context, name: string, next: string, ready: boolean) => {
    if (ready && name === ctx.state.user?.name) return ctx.redirect(next);
    ctx.redirect(`/hub/spawn-pending/${name}${next === serverPrefix(name) ? '' : `?next=${encodeURIComponent(next)}`}`);
  };

  router.get(['/hub/spawn', '/hub/spawn/:name'], async (ctx) => {
    const name = await spawnTarget(ctx);
    const next = pathOnServer(name, ctx.query.next);
    const view = await servers.view(name);
    if (view.state !== 'stopped') return pendingOrServer(ctx, name, next, view.state === 'running');
    await renderSpawn(ctx, name, next);
  });

  router.post(['/hub/spawn', '/hub/spawn/:name'], formBody, async (ctx) => {
    const name = await spawnTarget(ctx);
    const body = formFields(ctx);
    if (!xsrfMatches(ctx, body[XSRF_FIELD])) throw forbidden('This form has expired. Reload the page and try again.');
    const image = typeof body.image === 'string' ? body.image : undefined;
    const next = pathOnServer(name, body.next);
    let started: 'ready' | 'pending';
    try {
      started = await servers.start(name, image);
    } catch (err) {
      // Refused (a bad image, the engine down): the form again, with why.
      if (!(err instanceof BerthError) || (err.status >= 500 && err.status !== 503)) throw err;
      return renderSpawn(ctx, name, next, { status: err.status, message: err.message, image });
    }
    pendingOrServer(ctx, name, next, started === 'ready');
  });

  router.get('/hub/spawn-pending/:name', async (ctx) => {
    const caller = pageCaller(ctx);
    const name = ctx.params.name;
    if (!isUsername(name)) return;
    mayActOn(caller, name);
    if (!(await users.get(name))) return;
    const view = await servers.view(name);
    // Where the page goes once the server is ready: a path on it (a shared link), else its start.
    const to = pathOnServer(name, ctx.query.next);
    if (view.state === 'running' && name === caller.name) return ctx.redirect(to);
    if (view.state === 'stopped' && !view.lastError) return ctx.redirect(HOME);
    const lastError = view.state === 'stopped' ? view.lastError : undefined;
    render(ctx, pendingPage(pageContext(ctx), { name, lastError, next: to }));
  });

  router.get('/hub/admin', async (ctx) => {
    const caller = pageCaller(ctx);
    if (!caller.admin) throw forbidden('Only admins can use the admin page.');
    const images = await offered();
    render(ctx, adminPage(pageContext(ctx), images, catalogue.pick(images ?? [], undefined)));
  });

  router.get('/hub/admin/groups', async (ctx) => {
    if (!pageCaller(ctx).admin) throw forbidden('Only admins can use the admin page.');
    render(ctx, groupsPage(pageContext(ctx), await offered()));
  });

  router.get('/hub/jobs', async (ctx) => {
    const { name } = pageCaller(ctx);
    const images = offeredTo((await offered()) ?? [], await grantsOf(groups, name));
    render(ctx, jobsPage(pageContext(ctx), images, choose(catalogue, images, await users.lastImage(name)) ?? ''));
  });

  /** The usage page's span and filters (empty fields of its form: none), and the ledger's rows for them. */
  async function usageOf(ctx: Context) {
    if (!pageCaller(ctx).admin) throw forbidden('Only admins can see the usage ledger.');
    if (!deps.ledger) throw new BerthError(404, 'This hub keeps no usage ledger.');
    const asked = Object.fromEntries(Object.entries(ctx.query).filter(([, v]) => v !== ''));
    const query = parseUsageQuery(asked, Date.now(), deps.ledger.retentionDays);
    return { ledger: deps.ledger, query, items: await usageItems(deps.ledger, query) };
  }

  router.get('/hub/usage', async (ctx) => {
    const { ledger, query, items } = await usageOf(ctx);
    const [spawns, running, groupList] = await Promise.all([ledger.spawns(), ledger.running(), groups.list()]);
    const data = { query, items, spawns, running, groups: groupList.map((g) => g.name) };
    render(ctx, usagePage(pageContext(ctx), data));
  });

  router.get('/hub/usage.csv', async (ctx) => {
    const { query, items } = await usageOf(ctx);
    ctx.type = 'text/csv; charset=utf-8';
    ctx.attachment(`usage-${query.from}-${query.to}.csv`);
    ctx.body = usageCsv(items.map(usageRow));
  });

  router.get('/hub/token', (ctx) => {
    pageCaller(ctx);
    render(ctx, tokenPage(pageContext(ctx)));
  });

  // JupyterHub's logo URL: a single-user server's page shows it, linked to the hub.
  router.get('/hub/logo', (ctx) => {
    const logo = staticFiles.get('logo.svg');
    ctx.type = logo?.type ?? 'image/svg+xml';
    ctx.set('Cache-Control', 'max-age=3600');
    ctx.body = logo?.body;
  });

  router.get('/hub/static/:file', (ctx) => {
    const file = staticFiles.get(ctx.params.file);
    if (!file) return;
    ctx.type = file.type;
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = file.body;
  });

  return router;
}
