/**
 * The hub and its in-process proxy behind one HTTP or HTTPS server (proxy/front.ts): requests
 * under /user/ go to the proxy, everything else to the hub; with HTTPS, a plain-HTTP port may
 * redirect to it and answer ACME challenges.
 */
import type http from 'node:http';
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createHub } from '../hub/app';
import { AcmeCertificates } from '../proxy/acme';
import { certificatesFromConfig, proxyFromConfig, secureCookies } from '../proxy/from-config';
import { frontServer } from '../proxy/front';
import { serverApiServer } from '../proxy/server-api';
import { redirectServer } from '../proxy/tls';
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
  /** The same for servers with the internet off, on their own network. */
  offlineApiHost?: string;
}

function serveOn(server: http.Server | https.Server, port: number, host: string): Promise<number> {
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
    publicUrl: config.publicUrl,
  };
  const hub = createHub(hubConfig, runtime).callback();
  const resume = (user: string) => runtime.pauser.resume(user);
  const proxy = proxyFromConfig(config, runtime.proxyRedis, keys, runtime.log.child({ component: 'proxy' }), resume);
  const host = on.bind === '0.0.0.0' || on.bind === '::' ? '127.0.0.1' : on.bind;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  const certificates = certificatesFromConfig(config, runtime.log.child({ component: 'tls' }));
  // The plain-HTTP port first: an ACME CA checks its challenge there before it issues the certificate.
  const redirect =
    certificates && config.httpRedirectPort && config.publicUrl
      ? redirectServer(config.publicUrl.origin, certificates)
      : undefined;
  if (redirect) await serveOn(redirect, config.httpRedirectPort, on.bind);
  if (certificates instanceof AcmeCertificates) await certificates.start();
  const front = frontServer(proxy, hub, certificates);
  const forServers = [on.serverApiHost, ...(on.offlineApiHost ? [on.offlineApiHost] : [])].map((host) => ({
    host,
    server: serverApiServer(hub),
  }));
  const port = await serveOn(front, on.port, on.bind);
  const url = `${certificates ? 'https' : 'http'}://${hostInUrl}:${port}`;
  // Only stock JupyterHub images need it: without it the hub still serves everything else.
  for (const { host, server } of forServers)
    await serveOn(server, config.serverApiPort, host).catch((err: Error) => {
      runtime.log.error("cannot serve the hub's API to user servers: stock JupyterHub images will not start", {
        address: `${host}:${config.serverApiPort}`,
        reason: err.message,
        fix: 'free HUB_SERVER_API_PORT, or give it another port',
      });
    });
  const close = (server: http.Server | https.Server) =>
    new Promise<void>((done) => {
      server.close(() => done());
      server.closeAllConnections();
    });
  return {
    url,
    port,
    async close() {
      proxy.close();
      certificates?.close();
      const all = [front, ...forServers.map((s) => s.server), ...(redirect ? [redirect] : [])];
      await Promise.all(all.map(close));
    },
  };
}
