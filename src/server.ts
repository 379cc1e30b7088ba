/**
 * One HTTP server for the hub and its in-process proxy: requests under /user/ go to the proxy,
 * everything else to the hub; WebSocket upgrades go to the proxy, which refuses what is not
 * a user's server.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHub } from './hub/app';
import { proxyFromConfig, secureCookies } from './proxy/from-config';
import type { Runtime } from './runtime';

export interface RunningHub {
  /** e.g. http://127.0.0.1:8000 */
  url: string;
  port: number;
  close(): Promise<void>;
}

export function listen(runtime: Runtime, secret: string, port: number, bind: string): Promise<RunningHub> {
  const { config } = runtime;
  const hub = createHub(
    { secret, deleteHome: config.deleteHome, secureCookies: secureCookies(config), trustForwarded: config.trustForwarded, adminAccess: config.adminAccess },
    runtime,
  ).callback();
  const proxy = proxyFromConfig(config, runtime.proxyRedis, secret, runtime.log.child({ component: 'proxy' }));
  const server = http.createServer({ maxHeaderSize: 16 * 1024 }, (req, res) => (proxy.owns(req) ? proxy.http(req, res) : hub(req, res)));
  server.on('upgrade', (req, socket, head) => proxy.upgrade(req, socket, head));
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    socket.end(err.code === 'HPE_HEADER_OVERFLOW' ? 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n' : 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, bind, () => {
      const actual = (server.address() as AddressInfo).port;
      const host = bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind;
      resolve({
        url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`,
        port: actual,
        close: () =>
          new Promise<void>((done) => {
            proxy.close();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
