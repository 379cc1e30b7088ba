/**
 * The settings' source and their documentation: ./hub.env under the process environment, and
 * hub.env.example rendered from the declarations (a test keeps the file and the code equal).
 */
import fs from 'node:fs';
import path from 'node:path';
import { SETTINGS } from './settings';
import { ConfigError, type Setting } from './values';

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

/** `text` as comment lines of at most `width` characters. */
function comment(text: string, width = 100): string[] {
  const lines: string[] = [];
  let line = '#';
  for (const word of text.split(' ')) {
    if (line.length + word.length + 1 > width && line !== '#') {
      lines.push(line);
      line = '#';
    }
    line += ` ${word}`;
  }
  return [...lines, line];
}

/** hub.env.example, rendered from SETTINGS. */
export function envExample(): string {
  const lines = [
    '# Berth hub settings: every variable the hub reads, with its default.',
    '# Copy to hub.env (read from the directory `berth` runs in; the environment wins over it),',
    '# pass it with `docker run --env-file hub.env`, or leave it beside compose.yaml, which reads',
    '# it when it is there. Uncomment and change what you need; `berth config check` checks it.',
    '',
  ];
  for (const s of Object.values(SETTINGS) as Setting<unknown>[]) {
    lines.push(...comment(s.help), `#${s.env}=${s.default}`, '');
  }
  return lines.join('\n');
}
