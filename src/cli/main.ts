/**
 * The `berth` command: parses the arguments and runs one command. Every command exits non-zero
 * with a one-line reason on bad input; `berth --help` lists them all.
 */
import { environment, loadConfig, type Config } from '../config';
import { createLogger } from '../log';
import { VERSION } from '../paths';
import { openRuntime, type Runtime } from '../runtime';
import { connectDocker } from '../spawner/engine';
import { buildCommand, listImages } from './images';
import { proxyCommand } from './proxy';
import { serve } from './serve';
import { createToken } from './token';
import { addUser, listUsers, removeUser, setPassword } from './user';

export const HELP = `berth ${VERSION}: a notebook hub; each user gets their own Jupyter server in their own container.

Usage:
  berth serve                          run the hub and its proxy (npm start)
  berth proxy                          run another proxy, in front of the hub at PROXY_HUB_URL
  berth user add <name> [--admin]      add a user; password: first line of stdin, or prompted
  berth user list                      list users and their servers
  berth user rm <name>                 remove a user (stops their server, keeps their home volume)
  berth user set-password <name>       change a password (same input rules as add)
  berth token create <name> [--scopes s1,s2] [--note text] [--expires-in seconds]
                                       make an API token for <name>; printed alone on the last line
  berth images list                    show the image catalogue: built or missing
  berth images build [--force] [id...] build missing catalogue images (or the named ones)
  berth --help                         this help

Configuration comes from environment variables; see hub.env.example.`;

class UsageError extends Error {}

interface Parsed {
  words: string[];
  flags: Set<string>;
  /** Options that take a value (--note text, or --note=text); repeated ones collect every value. */
  values: Map<string, string[]>;
}

const VALUED = new Set(['scopes', 'note', 'expires-in']);

function parse(argv: string[]): Parsed {
  const words: string[] = [];
  const flags = new Set<string>();
  const values = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      words.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (!VALUED.has(name)) {
      flags.add(name);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    values.set(name, [...(values.get(name) ?? []), value]);
    flags.add(name);
  }
  return { words, flags, values };
}

function expect(parsed: Parsed, count: number, allowedFlags: string[] = []): void {
  const unknown = [...parsed.flags].filter((f) => !allowedFlags.includes(f));
  if (unknown.length) throw new UsageError(`unknown option --${unknown[0]}`);
  if (parsed.words.length !== count) throw new UsageError(`'${parsed.words.slice(0, 2).join(' ')}' takes ${count - 2} argument(s)`);
}

async function withRuntime(config: Config, run: (rt: Runtime) => Promise<string>): Promise<string> {
  const log = createLogger(config.logLevel === 'debug' ? 'debug' : 'warn');
  const rt = await openRuntime(config, log, { embeddedRedis: 'shared' });
  try {
    return await run(rt);
  } finally {
    await rt.close();
  }
}

async function run(argv: string[]): Promise<string | undefined> {
  const parsed = parse(argv);
  const [command, sub] = parsed.words;
  if (parsed.flags.has('version')) return VERSION;
  if (parsed.flags.has('help') || command === 'help' || command === undefined) return HELP;
  const config = loadConfig(environment());
  switch (`${command} ${sub ?? ''}`.trim()) {
    case 'serve':
      expect(parsed, 1);
      await serve(config, createLogger(config.logLevel));
      return undefined;
    case 'proxy':
      expect(parsed, 1);
      await proxyCommand(config, createLogger(config.logLevel));
      return undefined;
    case 'user add':
      expect(parsed, 3, ['admin']);
      return withRuntime(config, (rt) => addUser(rt, parsed.words[2], parsed.flags.has('admin')));
    case 'user list':
      expect(parsed, 2);
      return withRuntime(config, listUsers);
    case 'user rm':
      expect(parsed, 3);
      return withRuntime(config, (rt) => removeUser(rt, parsed.words[2]));
    case 'user set-password':
      expect(parsed, 3);
      return withRuntime(config, (rt) => setPassword(rt, parsed.words[2]));
    case 'token create':
      expect(parsed, 3, ['scopes', 'note', 'expires-in']);
      return withRuntime(config, (rt) =>
        createToken(rt, parsed.words[2], {
          scopes: (parsed.values.get('scopes') ?? []).flatMap((v) => v.split(/[,\s]+/)).filter(Boolean),
          note: parsed.values.get('note')?.at(-1),
          expiresIn: parsed.values.get('expires-in')?.at(-1),
        }),
      );
    case 'images list':
      expect(parsed, 2);
      return withRuntime(config, (rt) => listImages(rt.docker, rt.catalogue));
    case 'images build': {
      const unknown = [...parsed.flags].filter((f) => f !== 'force');
      if (unknown.length) throw new UsageError(`unknown option --${unknown[0]}`);
      return buildCommand(connectDocker(config.dockerHost), parsed.words.slice(2), parsed.flags.has('force'));
    }
    default:
      throw new UsageError(`unknown command '${parsed.words.join(' ')}'`);
  }
}

export async function main(argv: string[]): Promise<void> {
  try {
    const out = await run(argv);
    if (out !== undefined) process.stdout.write(`${out}\n`);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`berth: ${err.message}; see berth --help\n`);
      process.exit(2);
    }
    // One line of reason; a hub's errors carry their details in its log.
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`berth: ${message.split('\n')[0]}\n`);
    process.exit(1);
  }
}
