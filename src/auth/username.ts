/**
 * The one username grammar. A username is 1 to 32 characters of lowercase ASCII letters, digits,
 * '.', '_' and '-', starting with a letter. Input is normalised (ASCII lowercased) before it is
 * checked, so 'Alice' signs in as 'alice'; anything outside ASCII is refused, never folded
 * (the Kelvin sign would otherwise lowercase to 'k').
 */
import { badRequest } from '../errors';

export const USERNAME_RULE =
  'a username is 1 to 32 characters: lowercase letters, digits, ".", "_" or "-", starting with a letter';

const GRAMMAR = /^[a-z][a-z0-9._-]{0,31}$/;

/** True when `name` is already a valid, normalised username. */
export function isUsername(name: string): boolean {
  return GRAMMAR.test(name);
}

/** Normalises `raw` and returns the username, or undefined when it breaks the grammar. */
export function normaliseUsername(raw: string): string | undefined {
  if (!/^[\x21-\x7e]{1,32}$/.test(raw)) return undefined;
  const name = raw.toLowerCase();
  return GRAMMAR.test(name) ? name : undefined;
}

/** Like normaliseUsername, but a bad name is a 400 that says what a username may be. */
export function parseUsername(raw: string): string {
  const name = normaliseUsername(raw);
  if (name === undefined) throw badRequest(`Invalid username: ${USERNAME_RULE}.`, { username: raw });
  return name;
}

const GROUP_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export const GROUP_NAME_RULE = 'a group name is 1 to 64 characters: lowercase letters, digits, ".", "_" or "-"';

export function isGroupName(name: string): boolean {
  return GROUP_NAME.test(name);
}
