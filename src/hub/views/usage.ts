/**
 * The usage page (/hub/usage, admins): the ledger over a span of days as charts drawn in the page
 * (server-hours per day by group, the top users, how long starts took, servers running over
 * time), a table per group, and the same rows as CSV.
 */
import type { UsageItem } from '../../store/usage';
import { type Html, html } from '../html';
import { daysOf, type UsageQuery } from '../usage-report';
import { groupedBars, histogram, lineOverTime, rankedBars, type Series } from './charts';
import { layout, type PageContext } from './layout';

export interface UsageData {
  query: UsageQuery;
  items: UsageItem[];
  groups: string[];
  spawns: Array<{ at: number; seconds: number }>;
  running: Array<{ at: number; count: number }>;
}

interface Totals {
  serverHours: number;
  cpuHours: number;
  gibHours: number;
}

const NO_GROUP = '(no group)';
/** Groups drawn as their own series; the rest are summed as "other". */
const SERIES = 6;

function add(totals: Map<string, Totals>, key: string, i: UsageItem): void {
  const t = totals.get(key) ?? { serverHours: 0, cpuHours: 0, gibHours: 0 };
  t.serverHours += i.server_seconds / 3600;
  t.cpuHours += i.cpu_seconds / 3600;
  t.gibHours += i.memory_gib_hours;
  totals.set(key, t);
}

/** Server-hours per day for each group (a member of two groups counts in both). */
function byGroup(items: UsageItem[], days: string[], totals: Map<string, Totals>): Series[] {
  const ranked = [...totals.entries()].sort((a, b) => b[1].serverHours - a[1].serverHours).map(([g]) => g);
  const shown = ranked.slice(0, SERIES);
  const series = new Map<string, number[]>(shown.map((g) => [g, days.map(() => 0)]));
  if (ranked.length > SERIES)
    series.set(
      'other',
      days.map(() => 0),
    );
  for (const i of items) {
    const d = days.indexOf(i.day);
    for (const g of i.groups.length ? i.groups : [NO_GROUP]) {
      const values = series.get(shown.includes(g) ? g : 'other');
      if (values && d >= 0) values[d] += i.server_seconds / 3600;
    }
  }
  return [...series.entries()].map(([name, values]) => ({ name, values }));
}

const fixed = (n: number) => n.toFixed(2);

export function usagePage(page: PageContext, data: UsageData): Html {
  const { query, items } = data;
  const days = daysOf(query);
  const groupTotals = new Map<string, Totals>();
  const userTotals = new Map<string, Totals>();
  for (const i of items) {
    for (const g of i.groups.length ? i.groups : [NO_GROUP]) add(groupTotals, g, i);
    add(userTotals, i.user, i);
  }
  const csv = new URLSearchParams(
    Object.entries(query).filter((e): e is [string, string] => typeof e[1] === 'string'),
  ).toString();
  const option = (g: string) => html`<option value="${g}"${g === query.group ? html` selected` : ''}>${g}</option>`;
  return layout(
    'Usage',
    page,
    html`<h1>Usage</h1>
<form class="card" id="usage-filter" method="get" action="/hub/usage">
  <label>From <input type="date" name="from" value="${query.from}"></label>
  <label>To <input type="date" name="to" value="${query.to}"></label>
  <label>Group <select name="group"><option value="">everyone</option>${data.groups.map(option)}</select></label>
  <label>User <input name="user" value="${query.user ?? ''}" placeholder="everyone"></label>
  <button type="submit">Show</button>
  <a href="/hub/usage.csv?${csv}" id="usage-csv" download>CSV</a>
</form>
<p class="hint">Days are UTC. Server-hours are exact; CPU and memory are counted from samples taken every
HUB_USAGE_INTERVAL, so the last interval of a server may be off by that much.</p>
<section class="card charts">
${groupedBars(
  'chart-groups',
  'Server-hours per day, by group',
  days.map((d) => d.slice(5)),
  byGroup(items, days, groupTotals),
  'hours',
)}
${rankedBars(
  'chart-users',
  'Top users by server-hours',
  [...userTotals].map(([user, t]) => ({ label: user, value: Number(t.serverHours.toFixed(2)) })),
  'h',
)}
${histogram(
  'chart-spawns',
  'How long starts took',
  data.spawns.map((s) => s.seconds),
  'seconds',
)}
${lineOverTime(
  'chart-running',
  'Servers running',
  data.running.map((p) => ({ at: p.at, value: p.count })),
  'servers',
)}
</section>
<section class="card"><h2>By group</h2>
<table id="usage-groups"><thead><tr><th>Group</th><th>Server-hours</th><th>CPU-hours</th><th>GiB-hours</th></tr></thead>
<tbody>${[...groupTotals].map(
      ([g, t]) =>
        html`<tr><td>${g}</td><td>${fixed(t.serverHours)}</td><td>${fixed(t.cpuHours)}</td><td>${fixed(t.gibHours)}</td></tr>`,
    )}</tbody></table></section>`,
  );
}
