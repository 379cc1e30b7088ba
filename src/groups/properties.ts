/**
 * Group properties (JupyterHub's group `properties`), which shape the servers of a group's members:
 * the catalogue images they may pick, limits over the image's, extra environment variables, shared
 * volumes mounted under /home/jovyan/shared/, the network rule and the group's services (a
 * PostgreSQL database of the group's own), and its quota. `parse` checks every field and names the one that is wrong; `conflicts` finds what two groups cannot
 * both say; `combine` makes one member's grants from all their groups.
 */
import { badRequest } from '../errors';

export const SHARED_ROOT = '/home/jovyan/shared';

export interface VolumeMount {
  volume: string;
  path: string;
  mode: 'ro' | 'rw';
}

/** As stored and shown: what the admin set, checked. */
export interface GroupProperties {
  images?: string[];
  limits?: { memory?: string | number; cpu?: number };
  env?: Record<string, string>;
  volumes?: VolumeMount[];
  network?: 'internet' | 'none';
  services?: Service[];
  quota?: Quota;
}

/** What a group's members may use: server-hours each per week, and servers of the group at once. */
export interface Quota {
  server_hours_per_week?: number;
  servers?: number;
}

/** What a group can have the hub run for it. */
export const SERVICES = ['postgres'] as const;
export type Service = (typeof SERVICES)[number];

/** What a member's server gets from all their groups. */
export interface Grants {
  /** The catalogue ids they may pick; undefined: every image the hub offers. */
  images?: string[];
  /** Over the image's limits: the most generous of their groups'. */
  memory?: number;
  cpu?: number;
  env: Record<string, string>;
  /** One per path; read-write when any group gives it read-write. */
  volumes: VolumeMount[];
  /** 'none' when any group turns the internet off. */
  network: 'internet' | 'none';
  /** The group whose database the server reaches: the first by name of those that have one. */
  database?: string;
  /** Server-hours a week: the most generous of their groups' quotas (none: the hub's). */
  hoursPerWeek?: { hours: number; group: string };
  /** Each of their groups that caps its members' servers at once. */
  serverCaps: Array<{ group: string; servers: number }>;
}

export const NO_GRANTS: Grants = { env: {}, volumes: [], network: 'internet', serverCaps: [] };

export interface ParseContext {
  /** Every catalogue id. */
  images: string[];
  /** Every shared volume's name. */
  volumes: string[];
  /** Bytes from "2g" and friends (config's parser: one grammar for sizes). */
  bytes(raw: string): number;
}

const KEYS = ['images', 'limits', 'env', 'volumes', 'network', 'services', 'quota'];
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/**
 * Variables the hub sets itself, and those that change what code a server runs (a PYTHONPATH into
 * a shared folder would run one member's code in every member's server, next to their token).
 */
const RESERVED_ENV =
  /^(JUPYTERHUB_|BERTH_|PG|DATABASE_URL$|HOME$|USER$|PATH$|SHELL$|JPY_|JUPYTER|NB_|PYTHON|LD_|IPYTHON)/i;
/** /home/jovyan/shared/<name>[/<name>...]: plain names only, no trailing slash. */
const MOUNT_PATH = /^\/home\/jovyan\/shared(\/(?!\.{1,2}(\/|$))[A-Za-z0-9._-]+)+$/;

/** Control characters other than tab (a newline in a value is no one's intent). */
function hasControl(value: string): boolean {
  return [...value].some((c) => (c.charCodeAt(0) < 32 && c !== '\t') || c.charCodeAt(0) === 127);
}

function fail(field: string, problem: string): never {
  throw badRequest(`properties.${field}: ${problem}`, { field: `properties.${field}` });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringList(raw: unknown, field: string): string[] {
  if (!Array.isArray(raw) || raw.some((v) => typeof v !== 'string')) fail(field, 'must be a list of strings');
  return [...new Set(raw as string[])];
}

/** Checks `raw` (a PUT body) field by field; the first problem is a 400 naming its field. */
export function parseProperties(raw: unknown, ctx: ParseContext): GroupProperties {
  if (!isObject(raw)) throw badRequest('properties must be a JSON object.');
  for (const key of Object.keys(raw))
    if (!KEYS.includes(key)) fail(key, `unknown property; known ones: ${KEYS.join(', ')}`);
  const out: GroupProperties = {};
  if (raw.images !== undefined) {
    out.images = stringList(raw.images, 'images');
    const missing = out.images.find((id) => !ctx.images.includes(id));
    if (missing !== undefined) fail('images', `'${missing.slice(0, 64)}' is not in the catalogue`);
  }
  if (raw.limits !== undefined) out.limits = parseLimits(raw.limits, ctx);
  if (raw.env !== undefined) {
    if (!isObject(raw.env)) fail('env', 'must be an object of names to strings');
    for (const [name, value] of Object.entries(raw.env)) {
      if (!ENV_NAME.test(name)) fail(`env.${name.slice(0, 64)}`, 'is not a variable name');
      if (RESERVED_ENV.test(name)) fail(`env.${name}`, 'is set by the hub itself');
      if (typeof value !== 'string' || value.length > 4096 || hasControl(value))
        fail(`env.${name}`, 'must be a string (4096 at most, no control characters)');
    }
    out.env = raw.env as Record<string, string>;
  }
  if (raw.volumes !== undefined) out.volumes = parseVolumes(raw.volumes, ctx);
  if (raw.network !== undefined) {
    if (raw.network !== 'internet' && raw.network !== 'none') fail('network', 'must be "internet" or "none"');
    out.network = raw.network;
  }
  if (raw.services !== undefined) {
    const services = stringList(raw.services, 'services');
    const unknown = services.find((name) => !(SERVICES as readonly string[]).includes(name));
    if (unknown !== undefined)
      fail('services', `'${unknown.slice(0, 64)}' is not a service; known: ${SERVICES.join(', ')}`);
    out.services = services as Service[];
  }
  if (raw.quota !== undefined) out.quota = parseQuota(raw.quota);
  return out;
}

/** A week has 168 hours; a group of a thousand servers at once is more than one hub carries. */
function parseQuota(raw: unknown): Quota {
  if (!isObject(raw)) fail('quota', 'must be an object with server_hours_per_week and/or servers');
  const out: Quota = {};
  for (const key of Object.keys(raw))
    if (key !== 'server_hours_per_week' && key !== 'servers') fail(`quota.${key}`, 'unknown quota');
  const hours = raw.server_hours_per_week;
  if (hours !== undefined) {
    if (typeof hours !== 'number' || !(hours > 0 && hours <= 168))
      fail('quota.server_hours_per_week', 'must be a number of hours above 0, at most 168');
    out.server_hours_per_week = hours;
  }
  if (raw.servers !== undefined) {
    if (!Number.isInteger(raw.servers) || (raw.servers as number) < 1 || (raw.servers as number) > 100_000)
      fail('quota.servers', 'must be a whole number of servers, 1 or more');
    out.servers = raw.servers as number;
  }
  return out;
}

function parseLimits(raw: unknown, ctx: ParseContext): GroupProperties['limits'] {
  if (!isObject(raw)) fail('limits', 'must be an object with memory and/or cpu');
  const out: NonNullable<GroupProperties['limits']> = {};
  for (const key of Object.keys(raw)) if (key !== 'memory' && key !== 'cpu') fail(`limits.${key}`, 'unknown limit');
  if (raw.memory !== undefined) {
    const bytes =
      typeof raw.memory === 'number' ? raw.memory : typeof raw.memory === 'string' ? safeBytes(raw.memory, ctx) : NaN;
    if (!Number.isSafeInteger(bytes) || bytes < 64 * 1024 * 1024)
      fail('limits.memory', 'must be a size of 64m or more, e.g. "2g"');
    out.memory = raw.memory as string | number;
  }
  if (raw.cpu !== undefined) {
    if (typeof raw.cpu !== 'number' || !(raw.cpu >= 0.01 && raw.cpu <= 1024))
      fail('limits.cpu', 'must be a number of CPUs above 0');
    out.cpu = raw.cpu;
  }
  return out;
}

function safeBytes(raw: string, ctx: ParseContext): number {
  try {
    return ctx.bytes(raw);
  } catch {
    return NaN;
  }
}

function parseVolumes(raw: unknown, ctx: ParseContext): VolumeMount[] {
  if (!Array.isArray(raw)) fail('volumes', 'must be a list of {volume, path, mode}');
  const out: VolumeMount[] = [];
  raw.forEach((entry: unknown, i) => {
    const field = `volumes[${i}]`;
    if (!isObject(entry)) fail(field, 'must be an object {volume, path, mode}');
    for (const key of Object.keys(entry))
      if (!['volume', 'path', 'mode'].includes(key)) fail(`${field}.${key}`, 'unknown key');
    if (typeof entry.volume !== 'string' || !ctx.volumes.includes(entry.volume))
      fail(`${field}.volume`, `no shared volume '${String(entry.volume).slice(0, 64)}' (berth volumes create)`);
    const where = typeof entry.path === 'string' ? entry.path : '';
    if (!MOUNT_PATH.test(where))
      fail(`${field}.path`, `must be a plain path under ${SHARED_ROOT}/ (letters, digits, . _ -, no trailing /)`);
    if (entry.mode !== 'ro' && entry.mode !== 'rw') fail(`${field}.mode`, 'must be "ro" or "rw"');
    if (out.some((v) => v.path === where || where.startsWith(`${v.path}/`) || v.path.startsWith(`${where}/`)))
      fail(`${field}.path`, 'overlaps another mount of this group');
    out.push({ volume: entry.volume, path: where, mode: entry.mode });
  });
  return out;
}

/**
 * What `mine` says that `other` (another group's properties) contradicts, for a member of both:
 * another volume at one of my paths (or inside it), or another value for one of my variables.
 */
export function conflicts(mine: GroupProperties, other: GroupProperties, otherName: string): string | undefined {
  for (const [i, v] of (mine.volumes ?? []).entries()) {
    const clash = (other.volumes ?? []).find(
      (o) =>
        (o.path === v.path && o.volume !== v.volume) ||
        (o.path !== v.path && (o.path.startsWith(`${v.path}/`) || v.path.startsWith(`${o.path}/`))),
    );
    if (clash) return `volumes[${i}].path: group ${otherName} mounts ${clash.volume} at ${clash.path}`;
  }
  for (const [name, value] of Object.entries(mine.env ?? {})) {
    const theirs = other.env?.[name];
    if (theirs !== undefined && theirs !== value) return `env.${name}: group ${otherName} sets it to another value`;
  }
  return undefined;
}

/** One member's grants from the properties of all their groups, by group name. */
export function combine(all: { group: string; properties: GroupProperties }[], bytes: (raw: string) => number): Grants {
  const grants: Grants = { env: {}, volumes: [], network: 'internet', serverCaps: [] };
  const images = new Set<string>();
  let restricted = false;
  for (const { group, properties: p } of [...all].sort((a, b) => a.group.localeCompare(b.group))) {
    if (p.images) {
      restricted = true;
      for (const id of p.images) images.add(id);
    }
    const memory =
      p.limits?.memory === undefined
        ? undefined
        : typeof p.limits.memory === 'number'
          ? p.limits.memory
          : bytes(p.limits.memory);
    if (memory !== undefined) grants.memory = Math.max(grants.memory ?? 0, memory);
    if (p.limits?.cpu !== undefined) grants.cpu = Math.max(grants.cpu ?? 0, p.limits.cpu);
    Object.assign(grants.env, p.env ?? {});
    for (const v of p.volumes ?? []) {
      const same = grants.volumes.find((g) => g.path === v.path);
      if (!same) grants.volumes.push({ ...v });
      else if (v.mode === 'rw') same.mode = 'rw';
    }
    if (p.network === 'none') grants.network = 'none';
    if (p.services?.includes('postgres')) grants.database ??= group;
    const hours = p.quota?.server_hours_per_week;
    if (hours !== undefined && hours > (grants.hoursPerWeek?.hours ?? 0)) grants.hoursPerWeek = { hours, group };
    if (p.quota?.servers !== undefined) grants.serverCaps.push({ group, servers: p.quota.servers });
  }
  if (restricted) grants.images = [...images].sort();
  grants.volumes.sort((a, b) => a.path.localeCompare(b.path));
  return grants;
}
