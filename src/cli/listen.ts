/**
 * The hub and its in-process proxy behind one HTTP server (proxy/front.ts): requests under
 * /user/ go to the proxy, everything else to the hub.
 */
import type { AddressInfo } from 'node:net';
import { createHub } from '../hub/app';
import { proxyFromConfig, secureCookies } from '../proxy/from-config';
import { frontServer } from '../proxy/front';
import type { Runtime } from './runtime';

export interface RunningHub {
  /** e.g. http://127.0.0.1:8000 */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves the hub and the proxy on `bind`:`port`, signing cookies with `keys` (newest first). */
export function listen(runtime: Runtime, keys: readonly string[], port: number, bind: string): Promise<RunningHub> {
  const { config } = runtime;
  const hubConfig = {
    keys,
    deleteHome: config.deleteHome,
    secureCookies: secureCookies(config),
    trustForwarded: config.trustForwarded,
    adminAccess: config.adminAccess,
  };
  const hub = createHub(hubConfig, runtime).callback();
  const proxy = proxyFromConfig(config, runtime.proxyRedis, keys, runtime.log.child({ component: 'proxy' }));
  const server = frontServer(proxy, hub);
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
