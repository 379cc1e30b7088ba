/**
 * Every `berth` command, declared once: its words, usage, one line of help, its options (as
 * `util.parseArgs` takes them), how many arguments it takes, and what it runs. `berth --help`
 * and `berth <command> --help` are rendered from this table. Each command loads its own modules
 * when it runs: `berth proxy` then holds only the proxy's, and a smaller heap is less for V8 to
 * mark each time streamed bodies' buffers start a collection (a quarter to a third of its CPU per
 * 1 MiB file, measured).
 */
import type { ParseArgsConfig } from 'node:util';
import { type Config, envExample } from '../config';
import type { Runtime } from './runtime';

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | string[] | undefined>;

export interface Invocation {
  args: string[];
  values: Values;
  /** The settings, read and checked; commands that need none do not ask. */
  config(): Config;
  /** Opens the runtime (Redis, Docker, stores) for the command and closes it after. */
  withRuntime(run: (rt: Runtime) => Promise<string>): Promise<string>;
}

export interface Command {
  /** The command's words, e.g. "user add". */
  name: string;
  /** Arguments and options after the words, e.g. "<name> [--admin]". */
  usage: string;
  summary: string;
  /** More lines for `berth <command> --help`. */
  details?: string;
  options?: Options;
  /** Arguments it takes: exactly this many, or [min, max]. */
  args: number | [number, number];
  run(call: Invocation): Promise<string | undefined>;
}

const name = (call: Invocation) => call.args[0];

export const COMMANDS: Command[] = [
  {
    name: 'serve',
    usage: '',
    summary: 'run the hub and its proxy (npm start)',
    details:
      'Runs the embedded Redis too when REDIS_URL is unset. Stopping it leaves user servers running; the next ' +
      'start adopts them.',
    args: 0,
    run: async (call) => (await import('./serve.js')).serve(call.config()).then(() => undefined),
  },
  {
    name: 'proxy',
    usage: '',
    summary: 'run another proxy, in front of the hub at PROXY_HUB_URL',
    details:
      'Listens on PROXY_PORT and reads routes and sessions from Redis (PROXY_REDIS_URL, ideally a read-only account).',
    args: 0,
    run: async (call) => (await import('./proxy.js')).proxyCommand(call.config()).then(() => undefined),
  },
  {
    name: 'user add',
    usage: '<name> [--admin]',
    summary: 'add a user; password: first line of stdin, or prompted',
    details:
      'The password is the first line of standard input when that is not a terminal, else it is asked for twice.',
    options: { admin: { type: 'boolean' } },
    args: 1,
    run: (call) =>
      call.withRuntime(async (rt) => (await import('./user.js')).addUser(rt, name(call), call.values.admin === true)),
  },
  {
    name: 'user list',
    usage: '[--json]',
    summary: 'list users and their servers',
    options: { json: { type: 'boolean' } },
    args: 0,
    run: (call) =>
      call.withRuntime(async (rt) =>
        (await import('./user.js')).listUsers(rt, call.values.json === true ? 'json' : 'table'),
      ),
  },
  {
    name: 'user rm',
    usage: '<name>',
    summary: 'remove a user (stops their server, keeps their home)',
    details: 'Their sessions and tokens end. Their home volume is kept, or deleted with HUB_DELETE_HOME=delete.',
    args: 1,
    run: (call) => call.withRuntime(async (rt) => (await import('./user.js')).removeUser(rt, name(call))),
  },
  {
    name: 'user set-password',
    usage: '<name>',
    summary: 'change a password (same input rules as add)',
    details: 'Every session of the user ends.',
    args: 1,
    run: (call) => call.withRuntime(async (rt) => (await import('./user.js')).setPassword(rt, name(call))),
  },
  {
    name: 'user move',
    usage: '<name> --node <node> [--replace]',
    summary: "move a user's home to another node of the swarm (copy, check, then switch)",
    details:
      'Their server must be stopped. The home is copied to <node> (hostname or id) and checked file by file; ' +
      'only then do their next starts go there. The old copy stays on the old node until you remove it. A ' +
      'node that has files in the volume already is refused, unless --replace overwrites them.',
    options: { node: { type: 'string' }, replace: { type: 'boolean' } },
    args: 1,
    run: (call) =>
      call.withRuntime(async (rt) =>
        (await import('./user.js')).moveHome(rt, name(call), call.values.node, call.values.replace === true),
      ),
  },
  {
    name: 'volumes create',
    usage: '<name>',
    summary: 'make a shared volume that groups can mount (owned by the notebook user)',
    details: 'A group mounts it through its properties: {"volumes": [{"volume": <name>, "path": ..., "mode": "ro"}]}.',
    args: 1,
    run: (call) => call.withRuntime(async (rt) => (await import('./volumes.js')).createVolume(rt, name(call))),
  },
  {
    name: 'volumes list',
    usage: '[--json]',
    summary: 'list shared volumes and the groups that mount them',
    options: { json: { type: 'boolean' } },
    args: 0,
    run: (call) =>
      call.withRuntime(async (rt) =>
        (await import('./volumes.js')).volumesList(rt, call.values.json === true ? 'json' : 'table'),
      ),
  },
  {
    name: 'volumes rm',
    usage: '<name>',
    summary: 'delete a shared volume and its files (refused while a group mounts it)',
    args: 1,
    run: (call) => call.withRuntime(async (rt) => (await import('./volumes.js')).deleteVolume(rt, name(call))),
  },
  {
    name: 'job run',
    usage: '<user> <notebook> [--image id] [--param name=value]... [--timeout seconds] [--wait]',
    summary: "queue a batch job: run a notebook in the user's home, unattended",
    details:
      'The running hub starts it in its turn (HUB_JOBS_LIMIT, HUB_JOBS_PER_USER). A --param value that is JSON is ' +
      'taken as such (7, true, [1, 2]), else as a string. --wait follows it and exits 1 unless it succeeded.',
    options: {
      image: { type: 'string' },
      param: { type: 'string', multiple: true },
      timeout: { type: 'string' },
      wait: { type: 'boolean' },
    },
    args: 2,
    run: (call) =>
      call.withRuntime(async (rt) =>
        (await import('./job.js')).runJob(rt, name(call), call.args[1], {
          image: call.values.image as string | undefined,
          params: (call.values.param as string[] | undefined) ?? [],
          timeout: call.values.timeout as string | undefined,
          wait: call.values.wait === true,
        }),
      ),
  },
  {
    name: 'token create',
    usage: '<name> [--scopes s1,s2] [--note text] [--expires-in seconds]',
    summary: 'make an API token for <name>; printed alone on the last line',
    details: 'Without --scopes the token holds all of its owner\'s permissions ("inherit"). It is shown only once.',
    options: { scopes: { type: 'string', multiple: true }, note: { type: 'string' }, 'expires-in': { type: 'string' } },
    args: 1,
    run: (call) =>
      call.withRuntime(async (rt) =>
        (await import('./token.js')).createToken(rt, name(call), {
          scopes: ((call.values.scopes as string[] | undefined) ?? [])
            .flatMap((v) => v.split(/[,\s]+/))
            .filter(Boolean),
          note: call.values.note as string | undefined,
          expiresIn: call.values['expires-in'] as string | undefined,
        }),
      ),
  },
  {
    name: 'images list',
    usage: '',
    summary: 'show the image catalogue: built, missing or to pull',
    args: 0,
    run: (call) => call.withRuntime(async (rt) => (await import('./images.js')).listImages(rt.docker, rt.catalogue)),
  },
  {
    name: 'images build',
    usage: '[--force] [id...]',
    summary: 'build missing catalogue and group database images (or the named ones)',
    details:
      'Builds the bases first; a Debian base that cannot be pulled is made with debootstrap. --force rebuilds ' +
      'the named images.',
    options: { force: { type: 'boolean' } },
    args: [0, Infinity],
    run: async (call) => {
      const [{ buildCommand }, { connectDocker }] = await Promise.all([
        import('./images.js'),
        import('../spawner/engine.js'),
      ]);
      return buildCommand(connectDocker(call.config().dockerHost), call.args, call.values.force === true);
    },
  },
  {
    name: 'images pull',
    usage: '[id...]',
    summary: 'pull catalogue.yaml images not here yet (or the named ones)',
    details: 'A start pulls a missing image by itself, with progress; this pulls ahead, e.g. before a class.',
    args: [0, Infinity],
    run: (call) => call.withRuntime(async (rt) => (await import('./images.js')).pullCommand(rt, call.args)),
  },
  {
    name: 'config example',
    usage: '',
    summary: 'print hub.env.example: every setting with its default',
    args: 0,
    run: async () => envExample().trimEnd(),
  },
  {
    name: 'config check',
    usage: '',
    summary: 'check the settings and what they point at; one line per problem',
    details: 'Reads the environment over ./hub.env. Exits 1 when anything is wrong.',
    args: 0,
    run: async () => (await import('./check.js')).checkEnvironment(),
  },
];
