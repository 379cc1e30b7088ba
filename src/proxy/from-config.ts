/**
 * The proxy as Berth runs it, from the config and the proxy's own Redis connection: in the
 * hub's process (`berth serve`) and on its own (`berth proxy`) alike.
 */

import path from 'node:path';
import { tokenMayUse } from '../auth/roles';
import { sessionCookieReader } from '../auth/session-cookie';
import { type Config, servesTls } from '../config';
import type { Logger } from '../log';
import { ActivityStore } from '../store/activity';
import { GroupStore } from '../store/groups';
import { ProxyReads } from '../store/proxy-reads';
import type { RedisClient } from '../store/redis';
import { TokenStore } from '../store/tokens';
import { UserStore } from '../store/users';
import { AcmeCertificates } from './acme';
import { activityDebounce, activityRecorder } from './activity';
import { createProxy, type UserProxy } from './proxy';
import { CertificateFiles } from './tls';

/** Cookies are Secure (and the session cookie __Host-) when people reach the hub over HTTPS. */
export function secureCookies(config: Config): boolean {
  return config.publicUrl?.protocol === 'https:' || servesTls(config);
}

/** Where the HTTPS certificate comes from, when Berth serves HTTPS itself (HUB_SSL_*, HUB_ACME_*). */
export function certificatesFromConfig(config: Config, log: Logger): CertificateFiles | AcmeCertificates | undefined {
  if (config.sslCert) return new CertificateFiles(config.sslCert, config.sslKey, log);
  if (config.acmeDirectory)
    return new AcmeCertificates(
      {
        directory: config.acmeDirectory,
        domains: config.acmeDomains,
        email: config.acmeEmail,
        caFile: config.acmeCaFile || undefined,
        dir: path.join(config.dataDir, 'acme'),
      },
      log,
    );
  return undefined;
}

export function proxyFromConfig(
  config: Config,
  redis: RedisClient,
  keys: readonly string[],
  log: Logger,
  resume?: (user: string) => Promise<void>,
): UserProxy {
  // Activity is written often enough for the shorter of the idle timeout and the pause.
  const quiet = Math.min(...[config.idleTimeout, config.pauseAfter].filter((ms) => ms > 0));
  const users = new UserStore(redis);
  const stores = { users, tokens: new TokenStore(redis), groups: new GroupStore(redis) };
  return createProxy({
    store: new ProxyReads(redis),
    cookies: sessionCookieReader(keys, secureCookies(config)),
    tokens: { mayUse: (token, owner) => tokenMayUse(stores, token, owner, config) },
    admins: config.adminAccess ? { isAdmin: async (name) => (await users.get(name))?.admin === true } : undefined,
    activity: activityRecorder(new ActivityStore(redis), activityDebounce(quiet), log),
    resume,
    log,
  });
}
