/**
 * `next=` after login: only a path on this same origin is followed. Anything a browser could
 * read as another host (//evil, /\evil, https://evil, control characters that browsers strip
 * to make //evil) falls back to the default.
 */
const ORIGIN = 'http://berth.invalid';

export function safeNext(raw: unknown, fallback: string): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2048) return fallback;
  // A single leading slash, then anything but a second slash or backslash; no backslashes or
  // control characters or spaces anywhere, since browsers treat them as slashes or drop them.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  if (!/^\/(?![/\\])/.test(raw) || /[\\\x00-\x20\x7f]/.test(raw)) return fallback;
  let url: URL;
  try {
    url = new URL(raw, ORIGIN);
  } catch {
    return fallback;
  }
  if (url.origin !== ORIGIN) return fallback;
  return url.pathname + url.search + url.hash;
}
