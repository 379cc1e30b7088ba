/**
 * Which requests are the proxy's, and whose server they are for. The user segment of
 * `/user/<name>/...` is matched whole and raw: it must already be a valid, normalised username,
 * so `/user/al/` never reaches alice and `/user/ALICE/`, `/user/alice%2F../` or `/user//alice/`
 * reach nobody.
 */
import { isUsername } from '../auth/username';

export const USER_PREFIX = '/user/';

export type UserPath =
  /** A request for `user`'s server. */
  | { kind: 'server'; user: string }
  /** `/user/<name>` without the trailing slash: redirect to add it. */
  | { kind: 'add-slash'; user: string; location: string }
  /** Under /user/ but not a valid user segment. */
  | { kind: 'invalid' };

/** Parses a raw request URL; undefined when it is not under /user/ (the hub's). */
export function parseUserPath(url: string): UserPath | undefined {
  if (!url.startsWith(USER_PREFIX)) return undefined;
  const rest = url.slice(USER_PREFIX.length);
  const end = rest.search(/[/?#]/);
  const segment = end < 0 ? rest : rest.slice(0, end);
  if (!isUsername(segment)) return { kind: 'invalid' };
  if (end < 0 || rest[end] !== '/') {
    return { kind: 'add-slash', user: segment, location: `${USER_PREFIX}${segment}/${end < 0 ? '' : rest.slice(end)}` };
  }
  return { kind: 'server', user: segment };
}
