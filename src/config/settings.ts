/**
 * Every Berth setting, declared once: environment name, default, one line of help, and a parser.
 * `loadConfig(env)` reads and validates them all (nothing else reads `process.env`);
 * `configProblems(env)` lists everything wrong at once, for `berth config check`.
 */
import path from 'node:path';
import { ENGINE_SETTINGS, engineProblems } from './engines';
import { JOB_SETTINGS } from './jobs';
import { SIGN_IN_SETTINGS, signInProblems } from './sign-in';
import { TLS_SETTINGS, tlsProblems } from './tls';
import { USAGE_SETTINGS } from './usage';
import {
  ConfigError,
  dockerHost,
  imageLimits,
  integer,
  list,
  name,
  oneOf,
  parseBytes,
  positiveNumber,
  publicUrl,
  redisUrl,
  type Setting,
  SPAWNS_PER_CPU,
  seconds,
  secretKeys,
  setting,
  spawnLimit,
  yesNo,
} from './values';

/** The declarations, in the order hub.env.example lists them. */
export const SETTINGS = {
  port: setting('HUB_PORT', '8000', 'Port of the hub and its proxy (the one URL users open).', integer(0, 65535)),
  bind: setting(
    'HUB_BIND',
    '127.0.0.1',
    'Address to listen on; 0.0.0.0 for every interface (put TLS in front).',
    (raw) => {
      if (raw.trim() === '') throw new Error('must be an IP address');
      return raw;
    },
  ),
  dataDir: setting(
    'HUB_DATA_DIR',
    './berth-data',
    "Hub state on disk: the embedded Redis's data and the generated secret.",
    (raw) => path.resolve(raw),
  ),
  secret: setting(
    'HUB_SECRET',
    '',
    'Signs cookies; at least 32 random characters. To rotate it without signing anyone out, give several, ' +
      'comma-separated, newest first: the first signs, all verify. Unset: generated once into ' +
      'HUB_DATA_DIR/secret (mode 0600).',
    secretKeys,
  ),
  publicUrl: setting(
    'HUB_PUBLIC_URL',
    '',
    'The URL people use, e.g. https://hub.example.org. With https, cookies are Secure and the session cookie ' +
      'is __Host- prefixed.',
    publicUrl,
  ),
  trustForwarded: setting(
    'HUB_TRUST_X_FORWARDED',
    'no',
    'yes: take the client address and scheme from X-Forwarded-For/-Proto (only behind a proxy that sets them).',
    yesNo,
  ),
  adminAccess: setting(
    'HUB_ADMIN_ACCESS',
    'no',
    "yes: admins may use other users' servers. Their code then runs in the hub's origin with an admin's " +
      'session; keep it no.',
    yesNo,
  ),
  ...SIGN_IN_SETTINGS,
  ...TLS_SETTINGS,
  redisUrl: setting(
    'REDIS_URL',
    '',
    'Redis to use, e.g. redis://:password@redis:6379/0. Unset: the hub runs its own redis-server under HUB_DATA_DIR.',
    redisUrl,
  ),
  proxyRedisUrl: setting(
    'PROXY_REDIS_URL',
    '',
    "Redis for the proxy, ideally with a read-only account. Unset: REDIS_URL, or the embedded Redis's " +
      'read-only proxy account.',
    redisUrl,
  ),
  proxyPort: setting(
    'PROXY_PORT',
    '8000',
    'Port of `berth proxy`, the proxy run as its own process.',
    integer(0, 65535),
  ),
  proxyHubUrl: setting(
    'PROXY_HUB_URL',
    'http://127.0.0.1:8081',
    'Where `berth proxy` sends what is not a user server: the hub.',
    (raw) => {
      const url = new URL(raw);
      if (url.protocol !== 'http:') throw new Error('must be an http:// URL');
      return url.origin;
    },
  ),
  adminUsers: setting('HUB_ADMIN_USERS', '', 'Comma-separated usernames made admins at start.', list),
  hubName: setting(
    'HUB_NAME',
    'berth',
    'Names this hub: prefixes its containers and volumes and fills their berth.hub label.',
    name,
  ),
  dockerHost: setting('DOCKER_HOST', '', 'Docker engine to use. Unset: unix:///var/run/docker.sock.', dockerHost),
  ...ENGINE_SETTINGS,
  network: setting(
    'HUB_NETWORK',
    '',
    'Docker network of the user servers. Unset: named after the hub (HUB_NAME). On the host it blocks traffic ' +
      'between containers; a hub in a container joins it.',
    (raw) => (raw === '' ? undefined : name(raw)),
  ),
  serverAccess: setting(
    'HUB_SERVER_ACCESS',
    'auto',
    'How the hub reaches user servers: port (published on 127.0.0.1), network (by container name on ' +
      'HUB_NETWORK), auto (network inside a container, else port).',
    oneOf('auto', 'port', 'network'),
  ),
  serverApiPort: setting(
    'HUB_SERVER_API_PORT',
    '8082',
    "Port of the hub's API for user servers (JUPYTERHUB_API_URL), on the servers' network only: the " +
      'network gateway for a hub on the host, its own address for a hub in a container. Only /hub/api ' +
      'answers there, and only to API tokens.',
    integer(1, 65535),
  ),
  defaultImage: setting('HUB_DEFAULT_IMAGE', 'python', 'Catalogue id started when a user does not pick one.', (raw) =>
    name(raw),
  ),
  images: setting(
    'HUB_IMAGES',
    '',
    'Comma-separated catalogue ids users may pick. Unset: every catalogue image.',
    list,
  ),
  buildImages: setting(
    'HUB_BUILD_IMAGES',
    'missing',
    'missing = build catalogue images that are missing or older than their folder: in the background after ' +
      'start, and when a start needs one; never = only say so.',
    oneOf('missing', 'never'),
  ),
  imagesDir: setting(
    'HUB_IMAGES_DIR',
    '',
    "Folder of image folders (each with a Dockerfile). Unset: Berth's own images/.",
    (raw) => (raw === '' ? undefined : path.resolve(raw)),
  ),
  spawnTimeout: setting(
    'HUB_SPAWN_TIMEOUT',
    '60',
    'Seconds for a container to be created and started.',
    seconds(false),
  ),
  httpTimeout: setting('HUB_HTTP_TIMEOUT', '30', 'Seconds for a started notebook server to answer.', seconds(false)),
  slowSpawnTimeout: setting(
    'HUB_SLOW_SPAWN_TIMEOUT',
    '10',
    'Seconds a start request waits for the server before answering 202 (pending) and showing the progress page.',
    seconds(true),
  ),
  concurrentSpawnLimit: setting(
    'HUB_CONCURRENT_SPAWN_LIMIT',
    'auto',
    `Starts that run at once; more wait in line (the pending page shows their place). auto: ${SPAWNS_PER_CPU} per CPU.`,
    spawnLimit,
  ),
  activeServerLimit: setting(
    'HUB_ACTIVE_SERVER_LIMIT',
    '0',
    'Servers that may run or start at once; a start beyond it gets 429 with Retry-After. 0: no limit.',
    integer(0, 1_000_000),
  ),
  idleTimeout: setting(
    'HUB_IDLE_TIMEOUT',
    '0',
    'Seconds without traffic after which a server is stopped by the hub. 0: never.',
    seconds(true),
  ),
  ...JOB_SETTINGS,
  ...USAGE_SETTINGS,
  pollInterval: setting(
    'HUB_POLL_INTERVAL',
    '30',
    'Seconds between checks that every server still runs (Docker events catch most exits sooner).',
    seconds(false),
  ),
  deleteHome: setting(
    'HUB_DELETE_HOME',
    'keep',
    'What deleting a user does to their home volume: keep it, or delete it.',
    oneOf('keep', 'delete'),
  ),
  memLimit: setting(
    'HUB_MEM_LIMIT',
    '2g',
    'Memory (and memory + swap) of each user container, for images whose labels set none.',
    parseBytes,
  ),
  cpuLimit: setting(
    'HUB_CPU_LIMIT',
    '1',
    'CPUs each user container may use, for images whose labels set none.',
    positiveNumber,
  ),
  pidsLimit: setting(
    'HUB_PIDS_LIMIT',
    '512',
    'Processes each user container may run, for images whose labels set none.',
    integer(16, 1_000_000),
  ),
  imageLimits: setting(
    'HUB_IMAGE_LIMITS',
    '',
    'Limits per image, over its labels: scipy:memory=8g,cpu=4; r:pids=1024',
    imageLimits,
  ),
  logLevel: setting(
    'HUB_LOG_LEVEL',
    'info',
    'Log level: debug, info, warn or error.',
    oneOf('debug', 'info', 'warn', 'error'),
  ),
} as const;

type Settings = typeof SETTINGS;
export type Config = { readonly [K in keyof Settings]: ReturnType<Settings[K]['parse']> };

/** Reads every setting from `env`, throwing a ConfigError naming the first bad variable. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const config = parseEach(env);
  const [problem] = combinedProblems(config);
  if (problem) throw new ConfigError(problem);
  return config;
}

function parseEach(env: Readonly<Record<string, string | undefined>>): Config {
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(SETTINGS) as [string, Setting<unknown>][]) {
    out[key] = s.parse(env[s.env] ?? s.default);
  }
  return Object.freeze(out) as Config;
}

/** What is wrong with settings that are fine one by one but not together. */
function combinedProblems(config: Config): string[] {
  return [...signInProblems(config), ...tlsProblems(config), ...engineProblems(config)];
}

/** Names Berth reads besides SETTINGS' own, so that `config check` does not call them unknown. */
const PREFIXES = /^(HUB|PROXY)_/;

/**
 * Every problem with the settings in `env`, one line each: a value a setting does not accept,
 * or a HUB_ or PROXY_ variable Berth does not know (a typo would otherwise be silently ignored).
 */
export function configProblems(env: Readonly<Record<string, string | undefined>>): string[] {
  const problems: string[] = [];
  const known = new Map<string, string>((Object.values(SETTINGS) as Setting<unknown>[]).map((s) => [s.env, s.env]));
  for (const s of Object.values(SETTINGS) as Setting<unknown>[]) {
    try {
      s.parse(env[s.env] ?? s.default);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (problems.length === 0) problems.push(...combinedProblems(parseEach(env)));
  for (const name of Object.keys(env)
    .filter((n) => PREFIXES.test(n) && !known.has(n))
    .sort()) {
    const near = [...known.keys()].find((k) => k.replace(/_/g, '') === name.replace(/_/g, ''));
    problems.push(
      `${name} is not a Berth setting${near ? `; did you mean ${near}?` : ''} (see \`berth config example\`)`,
    );
  }
  return problems;
}
