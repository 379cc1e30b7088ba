/**
 * The hub and its in-process proxy behind one HTTP server (proxy/front.ts): requests under
 * /user/ go to the proxy, everything else to the hub.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHub } from '../hub/app';
import { proxyFromConfig, secureCookies } from '../proxy/from-config';
import { frontServer } from '../proxy/front';
import { serverApiServer } from '../proxy/server-api';
import type { Runtime } from './runtime';

export interface RunningHub {
  /** e.g. http://127.0.0.1:8000 */
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface ListenOn {
  port: number;
  bind: string;
  /** Where servers reach the hub's API (the address the spawner prepared); HUB_SERVER_API_PORT. */
  serverApiHost: string;
}

function serveOn(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/**
 * Serves the hub and the proxy on `bind`:`port`, and the hub's API for servers on their network,
 * signing cookies with `keys` (newest first).
 */
export async function listen(runtime: Runtime, keys: readonly string[], on: ListenOn): Promise<RunningHub> {
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
  const front = frontServer(proxy, hub);
  const forServers = serverApiServer(hub);
  const port = await serveOn(front, on.port, on.bind);
  // Only stock JupyterHub images need it: without it the hub still serves everything else.
  await serveOn(forServers, config.serverApiPort, on.serverApiHost).catch((err: Error) => {
    runtime.log.error("cannot serve the hub's API to user servers: stock JupyterHub images will not start", {
      address: `${on.serverApiHost}:${config.serverApiPort}`,
      reason: err.message,
      fix: 'free HUB_SERVER_API_PORT, or give it another port',
    });
  });
  const host = on.bind === '0.0.0.0' || on.bind === '::' ? '127.0.0.1' : on.bind;
  const close = (server: http.Server) =>
    new Promise<void>((done) => {
      server.close(() => done());
      server.closeAllConnections();
    });
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    async close() {
      proxy.close();
      await Promise.all([close(front), close(forServers)]);
    },
  };
}
