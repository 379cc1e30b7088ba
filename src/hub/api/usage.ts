/**
 * The usage ledger over the API: GET /hub/api/usage?user=&group=&from=&to= answers
 * {"items": [{user, day, server_seconds, cpu_seconds, memory_gib_hours}]}, or CSV when the
 * caller accepts text/csv first (read:usage, an admin's).
 */
import type Router from '@koa/router';
import { BerthError } from '../../errors';
import { parseUsageQuery, usageCsv, usageItems, usageRow } from '../usage-report';
import type { ApiDeps } from './context';

export function usageApi(router: Router, deps: ApiDeps): void {
  router.get('/usage', async (ctx) => {
    await deps.access.allowAll(ctx, 'read:usage');
    const ledger = deps.ledger;
    if (!ledger) throw new BerthError(404, 'This hub keeps no usage ledger.');
    const query = parseUsageQuery(ctx.query, Date.now(), ledger.retentionDays);
    const rows = (await usageItems(ledger, query)).map(usageRow);
    if (ctx.accepts('application/json', 'text/csv') === 'text/csv') {
      ctx.type = 'text/csv; charset=utf-8';
      ctx.attachment(`usage-${query.from}-${query.to}.csv`);
      ctx.body = usageCsv(rows);
      return;
    }
    ctx.body = { items: rows };
  });
}
