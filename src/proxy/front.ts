/**
 * The one HTTP server in front, for `berth serve` and `berth proxy` alike: requests under
 * /user/ go to the proxy, everything else to `rest` (the hub, in its process or over HTTP);
 * WebSocket upgrades go to the proxy, which refuses what is not a user's server. Headers are
 * limited to 16 KB; a request too large or malformed to parse is answered 431 or 400 and closed.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { UserProxy } from './proxy';

const MAX_HEADER_BYTES = 16 * 1024;

export function frontServer(proxy: UserProxy, rest: (req: IncomingMessage, res: ServerResponse) => void): http.Server {
  const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) =>
    proxy.owns(req) ? proxy.http(req, res) : rest(req, res),
  );
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
