/**
 * `berth token create`: an API token for a user, for scripts and services (the idle culler,
 * a class's start-all script). The token is printed alone on the last line, once.
 */

import { roleScopes } from '../auth/roles';
import { ScopeSet } from '../auth/scopes';
import { parseUsername } from '../auth/username';
import { BerthError } from '../errors';
import type { Runtime } from './runtime';

export async function createToken(
  rt: Runtime,
  rawName: string,
  opts: { scopes: string[]; note?: string; expiresIn?: string },
): Promise<string> {
  const name = parseUsername(rawName);
  const user = await rt.users.get(name);
  if (!user) throw new BerthError(404, `No such user: ${name}.`);
  const scopes = opts.scopes.length ? opts.scopes : ['inherit'];
  if (!scopes.includes('inherit')) {
    new ScopeSet(scopes); // a 400 naming an unknown scope
    const missing = roleScopes(user, rt.config.adminAccess).holds(scopes);
    if (missing.length)
      throw new BerthError(
        400,
        `${name} does not hold ${missing.join(', ')}${user.admin ? '' : ' (only admins hold hub-wide scopes)'}.`,
      );
  }
  let expiresInSeconds: number | undefined;
  if (opts.expiresIn !== undefined) {
    expiresInSeconds = Number(opts.expiresIn);
    if (!Number.isInteger(expiresInSeconds) || expiresInSeconds <= 0)
      throw new BerthError(400, '--expires-in takes a whole number of seconds.');
  }
  const { token, record } = await rt.tokens.create(name, {
    note: opts.note ?? 'Created with berth token create',
    scopes,
    expiresInSeconds,
  });
  const expires = record.expires_at ? `, expires ${record.expires_at}` : '';
  return [
    `Token ${record.id} for ${name}, scopes: ${scopes.join(', ')}${expires}.`,
    'It is shown only this once:',
    token,
  ].join('\n');
}
