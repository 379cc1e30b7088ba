/**
 * Reading a password the way `adduser` does: the first line of standard input when it is not a
 * terminal (scripts, tests), else a prompt, twice, with the typing hidden.
 */
import readline from 'node:readline';
import { BerthError } from '../errors';

const MIN_LENGTH = 8;

function firstLine(): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    const done = () => {
      process.stdin.destroy();
      resolve(data.split('\n')[0].replace(/\r$/, ''));
    };
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk: string) => {
      data += chunk;
      if (data.includes('\n')) done();
    });
    process.stdin.on('end', done);
    process.stdin.on('error', reject);
  });
}

function prompt(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: true });
    const write = (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput.bind(rl);
    let muted = false;
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      if (!muted) write(s);
    };
    rl.question(question, (answer) => {
      rl.close();
      process.stdout.write('\n');
      resolve(answer);
    });
    muted = true;
  });
}

export async function readPassword(): Promise<string> {
  let password: string;
  if (process.stdin.isTTY) {
    password = await prompt('Password: ');
    if ((await prompt('Password again: ')) !== password) throw new BerthError(400, 'The two passwords differ.');
  } else {
    password = await firstLine();
  }
  if (password.length < MIN_LENGTH) throw new BerthError(400, `A password needs at least ${MIN_LENGTH} characters.`);
  if (password.length > 1024) throw new BerthError(400, 'A password may have at most 1024 characters.');
  return password;
}

/** Rows under a header, in columns padded to their widest cell. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function megabytes(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MB`;
}
