/**
 * The benchmark's results: one row per measured case, Berth beside what it is compared with,
 * the ratio, the target and whether it is met; printed as a table and written as JSON.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Row {
  section: 'proxy' | 'websocket' | 'files' | 'spawn' | 'hub' | 'swarm' | 'usage' | 'users' | 'classroom' | 'soak';
  case: string;
  /** What the numbers are, e.g. "req/s", "s (all ready)", "ms p95", "MiB". */
  unit: string;
  berth: number;
  /** The comparison, when there is one: CHP, the backend directly, or the Docker-API floor. */
  other?: { name: string; value: number };
  /** More numbers worth keeping (latencies, counts). */
  detail?: Record<string, number | string>;
  target?: string;
  met?: boolean;
}

export function machineNote(): Record<string, string | number> {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpu: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    kernel: os.release(),
    date: new Date().toISOString(),
  };
}

function fmt(n: number | undefined): string {
  if (n === undefined) return '';
  if (n >= 100) return Math.round(n).toLocaleString('en');
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

export function table(rows: Row[]): string {
  const header = ['section', 'case', 'unit', 'Berth', 'compared with', 'ratio', 'target', 'met'];
  const lines = rows.map((r) => [
    r.section,
    r.case,
    r.unit,
    fmt(r.berth),
    r.other ? `${r.other.name} ${fmt(r.other.value)}` : '',
    r.other?.value ? `${(r.berth / r.other.value).toFixed(2)}x` : '',
    r.target ?? '',
    r.met === undefined ? '' : r.met ? 'yes' : 'NO',
  ]);
  const md = [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...lines.map((l) => `| ${l.join(' | ')} |`),
  ];
  return md.join('\n');
}

export function write(rows: Row[], quick: boolean, dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, quick ? 'quick.json' : 'latest.json');
  fs.writeFileSync(file, `${JSON.stringify({ machine: machineNote(), quick, rows }, null, 2)}\n`);
  return file;
}
