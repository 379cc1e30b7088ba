/**
 * How a request proves who it is, read the same way by the hub and the proxy: an API token in
 * the Authorization header (JupyterHub's `token <t>`, or `Bearer <t>`; never a query string),
 * and which methods change nothing (those need no XSRF token and pass the cross-site check).
 */

/** Methods that change no state. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The token in an Authorization header; undefined when there is none or the header is malformed. */
export function apiToken(header: string | undefined): string | undefined {
  return /^(?:token|bearer)\s+(\S+)$/i.exec(header ?? '')?.[1];
}
