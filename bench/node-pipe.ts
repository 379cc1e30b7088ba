/**
 * The least a proxy in Node can do, for the files section: every request piped to one backend and
 * its answer piped back, over kept-alive connections, checking nothing. What Berth's proxy costs
 * beyond this is what its checks and its own handling cost.
 *
 *   node dist/bench/node-pipe.js <port> <backend URL>
 */
import http from 'node:http';

const [port, backend] = [Number(process.argv[2]), new URL(process.argv[3])];
const agent = new http.Agent({ keepAlive: true });

const server = http.createServer((req, res) => {
  const upstream = http.request(
    { host: backend.hostname, port: backend.port, path: req.url, method: req.method, headers: req.headers, agent },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
