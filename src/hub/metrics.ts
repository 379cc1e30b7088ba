/**
 * Prometheus metrics at /hub/metrics, under JupyterHub's names where they fit, so its dashboards
 * work: running servers, users, active users, spawn and stop durations, request durations.
 * A small registry of its own (histograms here; gauges are read from Redis at scrape time).
 */

type Labels = Record<string, string>;

/** Label values escaped for the text format. */
function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

export class Histogram {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: number[],
  ) {}

  observe(labels: Labels, value: number): void {
    const key = JSON.stringify(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    this.buckets.forEach((b, i) => {
      if (value <= b) s!.counts[i]++;
    });
    s.sum += value;
    s.count++;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket${labelText({ ...s.labels, le: String(b) })} ${s.counts[i]}`));
      lines.push(`${this.name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}`);
      lines.push(`${this.name}_sum${labelText(s.labels)} ${s.sum}`);
      lines.push(`${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
    return lines;
  }
}

export function gauge(name: string, help: string, values: Array<[Labels, number]>): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, ...values.map(([labels, v]) => `${name}${labelText(labels)} ${v}`)];
}

const SPAWN_BUCKETS = [0.5, 1, 2.5, 5, 10, 15, 30, 60, 120, 180, 300, 600];
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Metrics {
  readonly spawnDuration = new Histogram('jupyterhub_server_spawn_duration_seconds', 'time taken for server spawning operation', SPAWN_BUCKETS);
  readonly stopDuration = new Histogram('jupyterhub_server_stop_seconds', 'time taken for server stopping operation', SPAWN_BUCKETS);
  readonly requestDuration = new Histogram('jupyterhub_request_duration_seconds', 'request duration for all HTTP requests', REQUEST_BUCKETS);

  /** The text exposition: the histograms, then `gauges` read at scrape time. */
  render(gauges: string[]): string {
    return [...gauges, ...this.spawnDuration.render(), ...this.stopDuration.render(), ...this.requestDuration.render(), ''].join('\n');
  }
}
