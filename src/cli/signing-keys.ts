/**
 * The keys that sign cookies, shared by `berth serve` and `berth proxy`; its own module so that
 * the proxy loads none of the hub's.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { BerthError } from '../errors';
import type { Logger } from '../log';

/**
 * The keys that sign cookies, newest first: HUB_SECRET, or the one the hub generated the first
 * time into HUB_DATA_DIR/secret (mode 0600). With `generate: false` (`berth proxy`, which must
 * use the hub's), a missing file is an error rather than a new key.
 */
export function signingKeys(config: Config, log: Logger, generate: boolean): string[] {
  if (config.secret) return config.secret;
  const file = path.join(config.dataDir, 'secret');
  if (fs.existsSync(file)) return [fs.readFileSync(file, 'utf8').trim()];
  if (!generate) {
    throw new BerthError(
      500,
      `berth proxy needs the hub's secret: set HUB_SECRET, or HUB_DATA_DIR to the hub's (${file} does not exist).`,
    );
  }
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32).toString('hex');
  fs.writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  log.info('HUB_SECRET is not set: generated one', { file });
  return [key];
}
