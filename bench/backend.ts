/**
 * The trivial backend of the proxy benchmark, run as its own process: `/small` answers a few
 * bytes, `/big` 1 MiB, any other path "ok"; WebSocket connections echo every message.
 *
 *   node dist/bench/backend.js <port>
 */
import http from 'node:http';
import { WebSocketServer } from 'ws';

const SMALL = Buffer.from('{"ok":true}');
const BIG = Buffer.alloc(1024 * 1024, 'x');

const server = http.createServer((req, res) => {
  const body = req.url?.includes('/big') ? BIG : SMALL;
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
new WebSocketServer({ server, maxPayload: 8 * 1024 * 1024 }).on('connection', (socket) => {
  socket.on('message', (data, binary) => socket.send(data, { binary }));
});
server.listen(Number(process.argv[2]), '127.0.0.1', () => process.stdout.write('ready\n'));
