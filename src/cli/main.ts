/**
 * The `berth` command: finds the command in the table (commands.ts), parses its options with
 * `util.parseArgs`, and runs it. Every command exits non-zero with a one-line reason on bad
 * input (2 for usage, 1 for the rest); `berth --help` lists them all and `berth <command>
 * --help` explains one.
 */
import { parseArgs } from 'node:util';
import { environment, loadConfig } from '../config';
import { createLogger } from '../log';
import { VERSION } from '../paths';
import { COMMANDS, type Command } from './commands';
import type { Runtime } from './runtime';

class UsageError extends Error {}

const WIDTH = 37;

function line(command: Command): string {
  const usage = `berth ${command.name}${command.usage ? ` ${command.usage}` : ''}`;
  return usage.length < WIDTH
    ? `  ${usage.padEnd(WIDTH)}${command.summary}`
    : `  ${usage}\n  ${' '.repeat(WIDTH)}${command.summary}`;
}

export const HELP = [
  `berth ${VERSION}: a notebook hub; each user gets their own Jupyter server in their own container.`,
  '',
  'Usage:',
  ...COMMANDS.map(line),
  `  ${'berth <command> --help'.padEnd(WIDTH)}more about one command`,
  `  ${'berth --version'.padEnd(WIDTH)}the version (${VERSION})`,
  '',
  'Configuration comes from environment variables, over ./hub.env; see `berth config example`.',
].join('\n');

function commandHelp(commands: Command[]): string {
  const [first] = commands;
  const heading =
    commands.length === 1 ? `berth ${first.name}: ${first.summary}` : `berth ${first.name.split(' ')[0]}: commands`;
  const details = commands.length === 1 && first.details ? ['', first.details] : [];
  return [heading, '', 'Usage:', ...commands.map(line), ...details].join('\n');
}

/** The command `words` begin with, and the arguments after its words. */
function find(words: string[]): { command?: Command; group: Command[]; rest: string[] } {
  for (const length of [2, 1]) {
    const command = COMMANDS.find((c) => c.name === words.slice(0, length).join(' '));
    if (command) return { command, group: [command], rest: words.slice(length) };
  }
  return { group: COMMANDS.filter((c) => c.name.split(' ')[0] === words[0]), rest: words.slice(1) };
}

/** `argv` without the command's words (the first of each, in order): its options and arguments. */
function withoutWords(argv: string[], words: string[]): string[] {
  let next = 0;
  return argv.filter((arg) => {
    if (next < words.length && arg === words[next]) {
      next++;
      return false;
    }
    return true;
  });
}

function parse(command: Command, argv: string[]) {
  const options = { ...command.options, help: { type: 'boolean' as const, short: 'h' } };
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException;
    const option = /'(-[-\w]*)/.exec(message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${option}`);
    if (/argument missing/.test(message)) throw new UsageError(`${option} needs a value`);
    throw new UsageError(message.split('\n')[0]);
  }
}

function expectArgs(command: Command, count: number): void {
  const [min, max] = typeof command.args === 'number' ? [command.args, command.args] : command.args;
  if (count >= min && count <= max) return;
  const wanted =
    min === max ? `${min} argument${min === 1 ? '' : 's'}` : `at least ${min} argument${min === 1 ? '' : 's'}`;
  throw new UsageError(`'berth ${command.name}' takes ${wanted}${command.usage ? `: ${command.usage}` : ''}`);
}

async function withRuntime(run: (rt: Runtime) => Promise<string>): Promise<string> {
  const config = loadConfig(environment());
  const log = createLogger(config.logLevel === 'debug' ? 'debug' : 'warn');
  const { openRuntime } = await import('./runtime.js');
  const rt = await openRuntime(config, log, { embeddedRedis: 'shared' });
  try {
    return await run(rt);
  } finally {
    await rt.close();
  }
}

async function run(argv: string[]): Promise<string | undefined> {
  const [first] = argv;
  if (first === '--version' || first === '-v') return VERSION;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') return HELP;
  const words = argv.filter((a) => !a.startsWith('-'));
  const { command, group } = find(words);
  if (!command) {
    if (group.length && (argv.includes('--help') || argv.includes('-h'))) return commandHelp(group);
    const subcommands = group.map((c) => c.name.split(' ')[1]).join(', ');
    if (group.length) throw new UsageError(`'berth ${words[0]}' needs one of: ${subcommands}`);
    throw new UsageError(`unknown command '${words.slice(0, 2).join(' ') || first}'`);
  }
  const { values, positionals } = parse(command, withoutWords(argv, command.name.split(' ')));
  if (values.help) return commandHelp([command]);
  expectArgs(command, positionals.length);
  return command.run({ args: positionals, values, config: () => loadConfig(environment()), withRuntime });
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
