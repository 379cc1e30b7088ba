/**
 * Every Berth setting, declared once: environment name, default, one line of help, and a parser.
 * `loadConfig(env)` reads and validates them all (nothing else reads `process.env`);
 * `envExample()` renders hub.env.example from the same declarations, and a test keeps the two equal.
 * `environment()` is the process environment over ./hub.env, when there is one.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A bad setting: the message names the variable and says what it accepts. */
export class ConfigError extends Error {}

interface Setting<T> {
  readonly env: string;
  /** The default as it is written in hub.env.example ('' = unset). */
  readonly default: string;
  readonly help: string;
  parse(raw: string): T;
}

function setting<T>(env: string, dflt: string, help: string, parse: (raw: string) => T): Setting<T> {
  return {
    env,
    default: dflt,
    help,
    parse(raw: string): T {
      try {
        return parse(raw);
      } catch (err) {
        throw new ConfigError(`${env}: ${(err as Error).message} (got '${raw.slice(0, 80)}')`);
      }
    },
  };
}

function integer(min: number, max: number) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw)) throw new Error(`must be a whole number from ${min} to ${max}`);
    const n = Number(raw);
    if (n < min || n > max) throw new Error(`must be a whole number from ${min} to ${max}`);
    return n;
  };
}

function positiveNumber(raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n <= 0) throw new Error('must be a number above 0');
  return n;
}

/** Seconds (decimals allowed), returned in milliseconds; 0 only where the setting says what 0 means. */
function seconds(allowZero: boolean) {
  return (raw: string): number => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n < 0 || (n === 0 && !allowZero)) {
      throw new Error(allowZero ? 'must be a number of seconds, 0 or more' : 'must be a number of seconds above 0');
    }
    return Math.round(n * 1000);
  };
}

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Docker-style sizes: 512m, 2g, 1048576. */
export function parseBytes(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmg]?)$/i.exec(raw.trim());
  if (!m) throw new Error('must be a size such as 512m or 2g');
  const bytes = Math.round(Number(m[1]) * BYTE_UNITS[m[2].toLowerCase()]);
  if (bytes < 6 * 1024 * 1024) throw new Error('must be at least 6m (Docker refuses less)');
  return bytes;
}

/** Spawns each CPU can run at once while every server still comes up well inside HUB_HTTP_TIMEOUT. */
const SPAWNS_PER_CPU = 4;

/**
 * 'auto' scales with the machine: a notebook server needs about 2.5 CPU-seconds to come up, so
 * with more at once than the CPUs can carry, every server answers late and all of them time out.
 */
function spawnLimit(raw: string): number {
  if (raw === 'auto') return SPAWNS_PER_CPU * os.availableParallelism();
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 10_000) throw new Error('must be auto or a whole number from 1 to 10000');
  return Number(raw);
}

function oneOf<T extends string>(...values: T[]) {
  return (raw: string): T => {
    if (!(values as string[]).includes(raw)) throw new Error(`must be one of ${values.join(', ')}`);
    return raw as T;
  };
}

function yesNo(raw: string): boolean {
  if (/^(yes|true|1)$/i.test(raw)) return true;
  if (/^(no|false|0)$/i.test(raw)) return false;
  throw new Error('must be yes or no');
}

function publicUrl(raw: string): URL | undefined {
  if (raw === '') return undefined;
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('must be an http:// or https:// URL');
  if (url.pathname !== '/' || url.search || url.hash) throw new Error('must be the origin only, e.g. https://hub.example.org');
  return url;
}

function list(raw: string): string[] {
  return raw.split(',').map((s) => s.trim()).filter(Boolean);
}

function name(raw: string): string {
  if (!/^[a-z][a-z0-9-]{0,29}$/.test(raw)) throw new Error('must be lowercase letters, digits and -, starting with a letter, at most 30 characters');
  return raw;
}

function secret(raw: string): string | undefined {
  if (raw === '') return undefined;
  if (raw.length < 32) throw new Error('is too weak: use at least 32 random characters, e.g. `openssl rand -hex 32`');
  if (new Set(raw).size < 8) throw new Error('is too weak: it repeats too few characters; use `openssl rand -hex 32`');
  return raw;
}

function redisUrl(raw: string): string | undefined {
  if (raw === '') return undefined;
  if (!/^rediss?:\/\//.test(raw)) throw new Error('must start with redis:// or rediss://');
  return raw;
}

function dockerHost(raw: string): string | undefined {
  if (raw === '') return undefined;
  if (!/^(unix|tcp|http|https):\/\//.test(raw)) throw new Error('must be unix:///path/to/docker.sock or tcp://host:port');
  return raw;
}

/** Per-image limits, keyed by catalogue id. */
export type ImageLimitOverrides = Record<string, { memory?: number; cpu?: number; pids?: number }>;

/** "scipy:memory=8g,cpu=4; r:pids=1024" → overrides per catalogue id. */
function imageLimits(raw: string): ImageLimitOverrides {
  const out: ImageLimitOverrides = {};
  for (const entry of raw.split(';').map((e) => e.trim()).filter(Boolean)) {
    const m = /^([a-z][a-z0-9-]*)\s*:\s*(.+)$/.exec(entry);
    if (!m) throw new Error(`cannot read '${entry}': write id:memory=4g,cpu=2,pids=512; id:...`);
    const limits: ImageLimitOverrides[string] = {};
    for (const pair of m[2].split(',')) {
      const [key, value = ''] = pair.split('=').map((x) => x.trim());
      if (key === 'memory') limits.memory = parseBytes(value);
      else if (key === 'cpu') limits.cpu = positiveNumber(value);
      else if (key === 'pids') limits.pids = integer(16, 1_000_000)(value);
      else throw new Error(`unknown limit '${key}' for ${m[1]}: use memory, cpu or pids`);
    }
    out[m[1]] = limits;
  }
  return out;
}

/** The declarations, in the order hub.env.example lists them. */
export const SETTINGS = {
  port: setting('HUB_PORT', '8000', 'Port of the hub and its proxy (the one URL users open).', integer(0, 65535)),
  bind: setting('HUB_BIND', '127.0.0.1', 'Address to listen on; 0.0.0.0 for every interface (put TLS in front).', (raw) => {
    if (raw.trim() === '') throw new Error('must be an IP address');
    return raw;
  }),
  dataDir: setting('HUB_DATA_DIR', './berth-data', "Hub state on disk: the embedded Redis's data and the generated secret.", (raw) => path.resolve(raw)),
  secret: setting('HUB_SECRET', '', 'Signs cookies; at least 32 random characters. Unset: generated once into HUB_DATA_DIR/secret (mode 0600).', secret),
  publicUrl: setting('HUB_PUBLIC_URL', '', 'The URL people use, e.g. https://hub.example.org. With https, cookies are Secure and the session cookie is __Host- prefixed.', publicUrl),
  trustForwarded: setting('HUB_TRUST_X_FORWARDED', 'no', 'yes: take the client address and scheme from X-Forwarded-For/-Proto (only behind a proxy that sets them).', yesNo),
  adminAccess: setting('HUB_ADMIN_ACCESS', 'no', "yes: admins may use other users' servers. Their code then runs in the hub's origin with an admin's session; keep it no.", yesNo),
  redisUrl: setting('REDIS_URL', '', 'Redis to use, e.g. redis://:password@redis:6379/0. Unset: the hub runs its own redis-server under HUB_DATA_DIR.', redisUrl),
  proxyRedisUrl: setting('PROXY_REDIS_URL', '', "Redis for the proxy, ideally with a read-only account. Unset: REDIS_URL, or the embedded Redis's read-only proxy account.", redisUrl),
  proxyPort: setting('PROXY_PORT', '8000', 'Port of `berth proxy`, the proxy run as its own process.', integer(0, 65535)),
  proxyHubUrl: setting('PROXY_HUB_URL', 'http://127.0.0.1:8081', 'Where `berth proxy` sends what is not a user server: the hub.', (raw) => {
    const url = new URL(raw);
    if (url.protocol !== 'http:') throw new Error('must be an http:// URL');
    return url.origin;
  }),
  adminUsers: setting('HUB_ADMIN_USERS', '', 'Comma-separated usernames made admins at start.', list),
  hubName: setting('HUB_NAME', 'berth', 'Names this hub: prefixes its containers and volumes and fills their berth.hub label.', name),
  dockerHost: setting('DOCKER_HOST', '', 'Docker engine to use. Unset: unix:///var/run/docker.sock.', dockerHost),
  network: setting('HUB_NETWORK', 'berth', 'Docker network shared by the hub and user containers when the hub runs in a container.', name),
  serverAccess: setting('HUB_SERVER_ACCESS', 'auto', 'How the hub reaches user servers: port (published on 127.0.0.1), network (by container name on HUB_NETWORK), auto (network inside a container, else port).', oneOf('auto', 'port', 'network')),
  defaultImage: setting('HUB_DEFAULT_IMAGE', 'python', 'Catalogue id started when a user does not pick one.', (raw) => name(raw)),
  images: setting('HUB_IMAGES', '', 'Comma-separated catalogue ids users may pick. Unset: every catalogue image.', list),
  buildImages: setting('HUB_BUILD_IMAGES', 'missing', 'missing = build catalogue images that are missing or older than their folder: in the background after start, and when a start needs one; never = only say so.', oneOf('missing', 'never')),
  imagesDir: setting('HUB_IMAGES_DIR', '', "Folder of image folders (each with a Dockerfile). Unset: Berth's own images/.", (raw) => (raw === '' ? undefined : path.resolve(raw))),
  spawnTimeout: setting('HUB_SPAWN_TIMEOUT', '60', 'Seconds for a container to be created and started.', seconds(false)),
  httpTimeout: setting('HUB_HTTP_TIMEOUT', '30', 'Seconds for a started notebook server to answer.', seconds(false)),
  slowSpawnTimeout: setting('HUB_SLOW_SPAWN_TIMEOUT', '10', 'Seconds a start request waits for the server before answering 202 (pending) and showing the progress page.', seconds(true)),
  concurrentSpawnLimit: setting('HUB_CONCURRENT_SPAWN_LIMIT', 'auto', `Starts that run at once; more wait in line (the pending page shows their place). auto: ${SPAWNS_PER_CPU} per CPU.`, spawnLimit),
  activeServerLimit: setting('HUB_ACTIVE_SERVER_LIMIT', '0', 'Servers that may run or start at once; a start beyond it gets 429 with Retry-After. 0: no limit.', integer(0, 1_000_000)),
  idleTimeout: setting('HUB_IDLE_TIMEOUT', '0', 'Seconds without traffic after which a server is stopped by the hub. 0: never.', seconds(true)),
  pollInterval: setting('HUB_POLL_INTERVAL', '30', 'Seconds between checks that every server still runs (Docker events catch most exits sooner).', seconds(false)),
  deleteHome: setting('HUB_DELETE_HOME', 'keep', "What deleting a user does to their home volume: keep it, or delete it.", oneOf('keep', 'delete')),
  memLimit: setting('HUB_MEM_LIMIT', '2g', "Memory (and memory + swap) of each user container, for images whose labels set none.", parseBytes),
  cpuLimit: setting('HUB_CPU_LIMIT', '1', "CPUs each user container may use, for images whose labels set none.", positiveNumber),
  pidsLimit: setting('HUB_PIDS_LIMIT', '512', "Processes each user container may run, for images whose labels set none.", integer(16, 1_000_000)),
  imageLimits: setting('HUB_IMAGE_LIMITS', '', 'Limits per image, over its labels: scipy:memory=8g,cpu=4; r:pids=1024', imageLimits),
  logLevel: setting('HUB_LOG_LEVEL', 'info', 'Log level: debug, info, warn or error.', oneOf('debug', 'info', 'warn', 'error')),
} as const;

type Settings = typeof SETTINGS;
export type Config = { readonly [K in keyof Settings]: ReturnType<Settings[K]['parse']> };

/** Reads every setting from `env`, throwing a ConfigError naming the first bad variable. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(SETTINGS) as [string, Setting<unknown>][]) {
    out[key] = s.parse(env[s.env] ?? s.default);
  }
  return Object.freeze(out) as Config;
}

/** KEY=VALUE lines of an env file; blank lines and # comments are skipped, quotes are removed. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Z_][A-Z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new ConfigError(`hub.env: cannot read the line '${line.slice(0, 80)}' (expected NAME=value)`);
    out[m[1]] = m[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}

/** The settings' source: the process environment, over ./hub.env when that file exists. */
export function environment(cwd = process.cwd()): Record<string, string | undefined> {
  const file = path.join(cwd, 'hub.env');
  const fromFile = fs.existsSync(file) ? parseEnvFile(fs.readFileSync(file, 'utf8')) : {};
  return { ...fromFile, ...process.env };
}

/** hub.env.example, rendered from SETTINGS. */
export function envExample(): string {
  const lines = [
    '# Berth hub settings: every variable the hub reads, with its default.',
    '# Copy to hub.env (read from the directory `berth` runs in; the environment wins over it),',
    '# or pass with `docker run --env-file`; uncomment and change what you need.',
    '',
  ];
  for (const s of Object.values(SETTINGS) as Setting<unknown>[]) {
    lines.push(`# ${s.help}`, `#${s.env}=${s.default}`, '');
  }
  return lines.join('\n');
}
