/**
 * `berth proxy`: the proxy as its own process, for more replicas in front of one hub and one
 * Redis. It answers /user/... itself (routes and sessions read from Redis, as the read-only
 * proxy account where there is one) and sends everything else to the hub at PROXY_HUB_URL.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Config } from '../config';
import { BerthError } from '../errors';
import type { Logger } from '../log';
import { hubForwarder } from '../proxy/forward';
import { proxyFromConfig } from '../proxy/from-config';
import { proxyAddress } from '../store/embedded-redis';
import { connectRedis, type RedisAddress } from '../store/redis';

/** The hub's secret: HUB_SECRET, or the one the hub generated into HUB_DATA_DIR. Never a new one. */
function sharedSecret(config: Config): string {
  if (config.secret) return config.secret;
  const file = path.join(config.dataDir, 'secret');
  if (!fs.existsSync(file)) throw new BerthError(500, `berth proxy needs the hub's secret: set HUB_SECRET, or HUB_DATA_DIR to the hub's (${file} does not exist).`);
  return fs.readFileSync(file, 'utf8').trim();
}

export async function proxyCommand(config: Config, log: Logger): Promise<void> {
  const address: RedisAddress = config.proxyRedisUrl ? { url: config.proxyRedisUrl } : config.redisUrl ? { url: config.redisUrl } : proxyAddress(config.dataDir);
  const redis = connectRedis(address, 'berth-proxy', true);
  redis.on('error', (err) => log.warn('redis connection problem', { err: err.message }));
  const proxy = proxyFromConfig(config, redis, sharedSecret(config), log.child({ component: 'proxy' }));
  const hub = hubForwarder(config.proxyHubUrl);
  const server = http.createServer({ maxHeaderSize: 16 * 1024 }, (req, res) => (proxy.owns(req) ? proxy.http(req, res) : hub.handle(req, res)));
  server.on('upgrade', (req, socket, head) => proxy.upgrade(req, socket, head));
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(config.proxyPort, config.bind, resolve));
  const port = (server.address() as AddressInfo).port;
  log.info('Berth proxy is running', { bind: config.bind, port, hub: config.proxyHubUrl });
  process.stdout.write(`Berth proxy is running on port ${port}, in front of ${config.proxyHubUrl}\n`);
  const stop = () => {
    hub.close();
    proxy.close();
    server.close(() => redis.disconnect());
    server.closeAllConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
