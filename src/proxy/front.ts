/**
 * The one HTTP server in front, for `berth serve` and `berth proxy` alike: requests under
 * /user/ go to the proxy, everything else to `rest` (the hub, in its process or over HTTP);
 * WebSocket upgrades go to the proxy, which refuses what is not a user's server; over TLS when
 * Berth serves HTTPS itself. Headers are
 * limited to 16 KB; a request too large or malformed to parse is answered 431 or 400 and closed.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { UserProxy } from './proxy';
import type { CertificateSource } from './tls';

const MAX_HEADER_BYTES = 16 * 1024;

/** Plain HTTP, or HTTPS with `certificates` (and each certificate they change to, without a restart). */
export function frontServer(
  proxy: UserProxy,
  rest: (req: IncomingMessage, res: ServerResponse) => void,
  certificates?: CertificateSource,
): http.Server | https.Server {
  const handle = (req: IncomingMessage, res: ServerResponse) =>
    proxy.owns(req) ? proxy.http(req, res) : rest(req, res);
  let server: http.Server | https.Server;
  if (certificates) {
    const tlsServer = https.createServer({ maxHeaderSize: MAX_HEADER_BYTES, ...certificates.current() }, handle);
    certificates.onChange((pair) => tlsServer.setSecureContext(pair));
    server = tlsServer;
  } else server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, handle);
  server.on('upgrade', (req, socket, head) => proxy.upgrade(req, socket, head));
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
  });
  return server;
}
