/**
 * The hub's session cookie, as koa-session writes it (id in `berth-session`, HMAC signature in
 * `berth-session.sig`), read back by the proxy without Koa. Both sides take the name and the
 * signing rule from here so they cannot drift apart.
 */
import Keygrip from 'keygrip';

const SESSION_COOKIE = 'berth-session';
/** How long a login lasts (JupyterHub's default cookie age). */
export const SESSION_MAX_AGE_MS = 14 * 24 * 3600 * 1000;

/** The session cookie's name: `__Host-` prefixed over HTTPS, so no subdomain can set or shadow it. */
export function sessionCookieName(secure: boolean): string {
  return secure ? `__Host-${SESSION_COOKIE}` : SESSION_COOKIE;
}

/** Cookie names the hub owns; the proxy removes them before a request reaches a user's server. */
export function isHubCookie(name: string): boolean {
  const base = name.replace(/^__Host-/, '').replace(/\.sig$/, '');
  return base === SESSION_COOKIE;
}

/** Splits a Cookie header into name/value pairs (first value wins, as in the `cookies` package). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name && !out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

/** The Cookie header without the hub's cookies (undefined when nothing is left). */
export function withoutHubCookies(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const kept = header.split(';').filter((part) => {
    const name = part.slice(0, part.indexOf('=') < 0 ? part.length : part.indexOf('=')).trim();
    return name !== '' && !isHubCookie(name);
  });
  return kept.length ? kept.map((p) => p.trim()).join('; ') : undefined;
}

/**
 * The value of signed cookie `name` when an older key than the newest signed it (HUB_SECRET was
 * rotated); undefined for no cookie, a bad signature, or the newest key's. The `cookies` library
 * signs such a cookie anew, but with default options (no lifetime, path /), so the hub signs it
 * again itself, as it was set.
 */
export function signedByOlderKey(
  keys: readonly string[],
  cookieHeader: string | undefined,
  name: string,
): string | undefined {
  if (keys.length < 2) return undefined;
  const cookies = parseCookies(cookieHeader);
  const value = cookies.get(name);
  const sig = cookies.get(`${name}.sig`);
  if (value === undefined || sig === undefined) return undefined;
  return new Keygrip([...keys]).index(`${name}=${value}`, sig) > 0 ? value : undefined;
}

export interface SessionCookieReader {
  /** The session id in a Cookie header, only when its signature is valid. */
  sessionId(cookieHeader: string | undefined): string | undefined;
}

/** How many verified (id, signature) pairs the reader remembers, so a busy session costs one HMAC. */
const VERIFIED_MAX = 10_000;

/** Reads session cookies signed with any of `keys` (newest first, as the hub signs with the first). */
export function sessionCookieReader(keys: readonly string[], secure = false): SessionCookieReader {
  const keygrip = new Keygrip([...keys]);
  const name = sessionCookieName(secure);
  const verified = new Set<string>();
  return {
    sessionId(cookieHeader) {
      const cookies = parseCookies(cookieHeader);
      const id = cookies.get(name);
      const sig = cookies.get(`${name}.sig`);
      if (!id || !sig || id.length > 128 || sig.length > 128) return undefined;
      // A pair that verified once verifies forever (the secret does not change while we run);
      // whether the session is still alive is read from Redis on every request regardless.
      const pair = `${id} ${sig}`;
      if (verified.has(pair)) return id;
      if (!keygrip.verify(`${name}=${id}`, sig)) return undefined;
      if (verified.size >= VERIFIED_MAX) verified.clear();
      verified.add(pair);
      return id;
    },
  };
}
