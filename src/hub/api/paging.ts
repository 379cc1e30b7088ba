/**
 * JupyterHub's paging: `offset` and `limit` (default 50, at most 200), and, when the client asks
 * with `Accept: application/jupyterhub-pagination+json`, the `{items, _pagination}` envelope with
 * a `next` link; otherwise a plain list (where the default limit is the maximum).
 */
import type { Context } from 'koa';
import { badRequest } from '../../errors';

export const PAGINATION_TYPE = 'application/jupyterhub-pagination+json';
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;

export interface Page {
  offset: number;
  limit: number;
  /** Whether the client asked for the envelope. */
  envelope: boolean;
}

function integer(ctx: Context, name: string): number | undefined {
  const raw = ctx.query[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^-?\d{1,9}$/.test(raw))
    throw badRequest('Invalid argument type, offset and limit must be integers');
  return Math.abs(Number(raw));
}

export function readPage(ctx: Context): Page {
  const envelope = ctx
    .get('accept')
    .split(',')
    .some((t) => t.trim().split(';')[0] === PAGINATION_TYPE);
  const offset = integer(ctx, 'offset') ?? 0;
  const limit = Math.min(MAX_LIMIT, Math.max(1, integer(ctx, 'limit') ?? (envelope ? DEFAULT_LIMIT : MAX_LIMIT)));
  return { offset, limit, envelope };
}

/** The items of one page (of `total`), in the shape the client asked for. */
export function paged<T>(
  ctx: Context,
  page: Page,
  items: T[],
  total: number,
):
  | T[]
  | {
      items: T[];
      _pagination: {
        offset: number;
        limit: number;
        total: number;
        next: { offset: number; limit: number; url: string } | null;
      };
    } {
  if (!page.envelope) return items;
  const nextOffset = page.offset + page.limit;
  let next = null;
  if (nextOffset < total) {
    const url = new URL(ctx.originalUrl, `${ctx.protocol}://${ctx.host}`);
    url.searchParams.set('offset', String(nextOffset));
    url.searchParams.set('limit', String(page.limit));
    next = { offset: nextOffset, limit: page.limit, url: url.toString() };
  }
  return { items, _pagination: { offset: page.offset, limit: page.limit, total, next } };
}

/** One page of `all`, in the shape the client asked for. */
export function pageOf<T>(ctx: Context, page: Page, all: T[]) {
  return paged(ctx, page, all.slice(page.offset, page.offset + page.limit), all.length);
}
