/**
 * `berth proxy`: the proxy as its own process, for more replicas in front of one hub and one
 * Redis. It answers /user/... itself (routes and sessions read from Redis, as the read-only
 * proxy account where there is one) and sends everything else to the hub at PROXY_HUB_URL.
 */
import type { AddressInfo } from 'node:net';
import type { Config } from '../config';
import { BerthError } from '../errors';
import { createLogger } from '../log';
import { hubForwarder } from '../proxy/forward';
import { certificatesFromConfig, proxyFromConfig } from '../proxy/from-config';
import { frontServer } from '../proxy/front';
import { proxyAddress } from '../store/embedded-redis';
import { connectRedis, type RedisAddress } from '../store/redis';
import { signingKeys } from './signing-keys';

export async function proxyCommand(config: Config): Promise<void> {
  const log = createLogger(config.logLevel);
  const address: RedisAddress = config.proxyRedisUrl
    ? { url: config.proxyRedisUrl }
    : config.redisUrl
      ? { url: config.redisUrl }
      : proxyAddress(config.dataDir);
  const redis = connectRedis(address, 'berth-proxy', true);
  redis.on('error', (err) => log.warn('redis connection problem', { err: err.message }));
  const proxy = proxyFromConfig(config, redis, signingKeys(config, log, false), log.child({ component: 'proxy' }));
  const hub = hubForwarder(config.proxyHubUrl);
  if (config.acmeDirectory)
    throw new BerthError(
      400,
      'berth proxy does not run ACME: unset HUB_ACME_DIRECTORY for it, and point HUB_SSL_CERT and HUB_SSL_KEY at ' +
        `the files the hub keeps (${config.dataDir}/acme/cert.pem and key.pem).`,
    );
  const certificates = certificatesFromConfig(config, log.child({ component: 'tls' }));
  const server = frontServer(proxy, hub.handle, certificates);
  await new Promise<void>((resolve, reject) =>
    server.once('error', reject).listen(config.proxyPort, config.bind, resolve),
  );
  const port = (server.address() as AddressInfo).port;
  log.info('Berth proxy is running', { bind: config.bind, port, hub: config.proxyHubUrl });
  process.stdout.write(`Berth proxy is running on port ${port}, in front of ${config.proxyHubUrl}\n`);
  const stop = () => {
    hub.close();
    proxy.close();
    certificates?.close();
    server.close(() => redis.disconnect());
    server.closeAllConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
