/**
 * The kinds of value a setting takes, each a parser that throws a message saying what it
 * accepts; `setting()` ties one to its variable name, so the message names the variable too.
 */
import os from 'node:os';

/** A bad setting: the message names the variable and says what it accepts. */
export class ConfigError extends Error {}

export interface Setting<T> {
  readonly env: string;
  /** The default as it is written in hub.env.example ('' = unset). */
  readonly default: string;
  readonly help: string;
  parse(raw: string): T;
}

/** Parsers whose values hold secrets (keys, passwords in URLs): an error about them never repeats the value. */
const SENSITIVE = new Set<(raw: string) => unknown>();

export function setting<T>(env: string, dflt: string, help: string, parse: (raw: string) => T): Setting<T> {
  return {
    env,
    default: dflt,
    help,
    parse(raw: string): T {
      try {
        return parse(raw);
      } catch (err) {
        const got = SENSITIVE.has(parse) ? '' : ` (got '${raw.slice(0, 80)}')`;
        throw new ConfigError(`${env}: ${(err as Error).message}${got}`);
      }
    },
  };
}

export function integer(min: number, max: number) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw)) throw new Error(`must be a whole number from ${min} to ${max}`);
    const n = Number(raw);
    if (n < min || n > max) throw new Error(`must be a whole number from ${min} to ${max}`);
    return n;
  };
}

export function positiveNumber(raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n <= 0) throw new Error('must be a number above 0');
  return n;
}

/** Seconds (decimals allowed), returned in milliseconds; 0 only where the setting says what 0 means. */
export function seconds(allowZero: boolean) {
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
export const SPAWNS_PER_CPU = 4;

/**
 * 'auto' scales with the machine: a notebook server needs about 2.5 CPU-seconds to come up, so
 * with more at once than the CPUs can carry, every server answers late and all of them time out.
 */
export function spawnLimit(raw: string): number {
  if (raw === 'auto') return SPAWNS_PER_CPU * os.availableParallelism();
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 10_000)
    throw new Error('must be auto or a whole number from 1 to 10000');
  return Number(raw);
}

export function oneOf<T extends string>(...values: T[]) {
  return (raw: string): T => {
    if (!(values as string[]).includes(raw)) throw new Error(`must be one of ${values.join(', ')}`);
    return raw as T;
  };
}

export function yesNo(raw: string): boolean {
  if (/^(yes|true|1)$/i.test(raw)) return true;
  if (/^(no|false|0)$/i.test(raw)) return false;
  throw new Error('must be yes or no');
}

export function publicUrl(raw: string): URL | undefined {
  if (raw === '') return undefined;
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('must be an http:// or https:// URL');
  if (url.pathname !== '/' || url.search || url.hash)
    throw new Error('must be the origin only, e.g. https://hub.example.org');
  return url;
}

export function list(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function name(raw: string): string {
  if (!/^[a-z][a-z0-9-]{0,29}$/.test(raw))
    throw new Error('must be lowercase letters, digits and -, starting with a letter, at most 30 characters');
  return raw;
}

/** One key or several, comma-separated (newest first), each strong. */
export function secretKeys(raw: string): string[] | undefined {
  if (raw.trim() === '') return undefined;
  const keys = raw.split(',').map((k) => k.trim());
  for (const [i, key] of keys.entries()) {
    const which = keys.length > 1 ? `key ${i + 1} ` : '';
    if (key === '') throw new Error(`${which}is empty: separate keys with single commas`);
    if (key.length < 32)
      throw new Error(`${which}is too weak: use at least 32 random characters, e.g. \`openssl rand -hex 32\``);
    if (new Set(key).size < 8)
      throw new Error(`${which}is too weak: it repeats too few characters; use \`openssl rand -hex 32\``);
  }
  return keys;
}

SENSITIVE.add(secretKeys);

export function redisUrl(raw: string): string | undefined {
  if (raw === '') return undefined;
  if (!/^rediss?:\/\//.test(raw)) throw new Error('must start with redis:// or rediss://');
  return raw;
}

SENSITIVE.add(redisUrl);

/** A secret as it is written (client secrets, bind passwords): never repeated in an error. */
export function secretText(raw: string): string {
  return raw.trim();
}

SENSITIVE.add(secretText);

export function dockerHost(raw: string): string | undefined {
  if (raw === '') return undefined;
  if (!/^(unix|tcp|http|https):\/\//.test(raw))
    throw new Error('must be unix:///path/to/docker.sock or tcp://host:port');
  return raw;
}

/** Per-image limits, keyed by catalogue id. */
export type ImageLimitOverrides = Record<string, { memory?: number; cpu?: number; pids?: number }>;

/** "scipy:memory=8g,cpu=4; r:pids=1024" → overrides per catalogue id. */
export function imageLimits(raw: string): ImageLimitOverrides {
  const out: ImageLimitOverrides = {};
  for (const entry of raw
    .split(';')
    .map((e) => e.trim())
    .filter(Boolean)) {
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
