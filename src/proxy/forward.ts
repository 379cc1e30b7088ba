/**
 * Forwarding one HTTP request upstream and its answer back: headers minus the hop-by-hop ones,
 * plus X-Forwarded-*, bodies piped both ways, and an aborted client aborting the upstream call.
 * Used for users' servers (proxy.ts) and, in `berth proxy`, for the hub.
 */
import http, { type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** The request's headers as the upstream should see them (WebSocket upgrades keep theirs). */
export function forwardedHeaders(req: IncomingMessage, websocket: boolean): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name)) out[name] = value;
  const client = req.socket.remoteAddress ?? '';
  const prior = req.headers['x-forwarded-for'];
  out['x-forwarded-for'] = prior ? `${prior}, ${client}` : client;
  out['x-forwarded-proto'] ??= 'encrypted' in req.socket ? 'https' : 'http';
  out['x-forwarded-host'] ??= req.headers.host;
  if (websocket) {
    out.connection = 'Upgrade';
    out.upgrade = req.headers.upgrade;
  }
  return out;
}

/** The upstream's response headers as sent (raw name/value pairs), minus the hop-by-hop ones. */
export function responseHeaders(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (!HOP_BY_HOP.has(raw[i].toLowerCase())) out.push(raw[i], raw[i + 1]);
  return out;
}

/** Where a target URL points, parsed once per distinct target rather than once per request. */
const parsedTargets = new Map<string, { host: string; port: string }>();
export function targetOf(url: string): { host: string; port: string } {
  let target = parsedTargets.get(url);
  if (!target) {
    const u = new URL(url);
    target = { host: u.hostname, port: u.port };
    if (parsedTargets.size > 10_000) parsedTargets.clear();
    parsedTargets.set(url, target);
  }
  return target;
}

/**
 * Sends `req` to `target` with `headers` and pipes the answer to `res`; `onUnreachable` answers
 * when nothing does. A client that goes away mid-request ends the upstream call quietly: that
 * is not the upstream's failure.
 */
export function pipeHttp(
  req: IncomingMessage,
  res: ServerResponse,
  target: string,
  headers: OutgoingHttpHeaders,
  agent: http.Agent,
  onUnreachable: (err: NodeJS.ErrnoException) => void,
): void {
  const { host, port } = targetOf(target);
  const upstream = http.request({ host, port, method: req.method, path: req.url, headers, agent });
  let clientGone = false;
  upstream.on('response', (up) => {
    res.writeHead(up.statusCode ?? 502, up.statusMessage, responseHeaders(up.rawHeaders));
    up.pipe(res);
    up.on('error', () => res.destroy());
  });
  upstream.on('error', (err) => {
    if (clientGone) return;
    if (res.headersSent) res.destroy();
    else onUnreachable(err);
  });
  res.on('close', () => {
    if (res.writableFinished) return;
    clientGone = true;
    upstream.destroy();
  });
  // Most requests have no body: end the upstream request at once rather than wiring up a pipe.
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) upstream.end();
  else req.pipe(upstream);
}

/** A handler that sends every request to the hub at `hubUrl` (for `berth proxy`). */
export function hubForwarder(hubUrl: string): {
  handle(req: IncomingMessage, res: ServerResponse): void;
  close(): void;
} {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  return {
    handle(req, res) {
      pipeHttp(req, res, hubUrl, forwardedHeaders(req, false), agent, () => {
        res
          .writeHead(502, { 'content-type': 'application/json' })
          .end(JSON.stringify({ status: 502, message: 'The hub is not answering.' }));
      });
    },
    close: () => agent.destroy(),
  };
}
