/**
 * HTTPS served by Berth itself: certificate files (picked up again when they change), or a
 * certificate obtained and renewed from an ACME CA (Let's Encrypt) with the HTTP-01 challenge,
 * answered on the plain-HTTP port, which otherwise only redirects to HTTPS.
 */
import { integer, list, setting, yesNo } from './values';

function file(raw: string): string {
  return raw.trim();
}

function acmeDirectory(raw: string): URL | undefined {
  if (raw === '') return undefined;
  const url = new URL(raw);
  if (url.protocol !== 'https:')
    throw new Error('must be an https:// URL, e.g. https://acme-v02.api.letsencrypt.org/directory');
  return url;
}

export const TLS_SETTINGS = {
  sslCert: setting(
    'HUB_SSL_CERT',
    '',
    'PEM certificate (with its chain) to serve HTTPS with, hub and `berth proxy` alike; a renewed file is picked up ' +
      'without a restart. Unset: plain HTTP (TLS in front of Berth).',
    file,
  ),
  sslKey: setting('HUB_SSL_KEY', '', 'PEM private key of HUB_SSL_CERT.', file),
  httpRedirectPort: setting(
    'HUB_HTTP_REDIRECT_PORT',
    '0',
    'With HTTPS on: a plain-HTTP port (80 in production) that only redirects to HTTPS and answers ACME ' +
      'challenges. 0: none.',
    integer(0, 65535),
  ),
  acmeDirectory: setting(
    'HUB_ACME_DIRECTORY',
    '',
    "ACME CA to obtain and renew the certificate from: Let's Encrypt is " +
      'https://acme-v02.api.letsencrypt.org/directory. Needs HUB_ACME_DOMAINS, HUB_ACME_EMAIL, HUB_ACME_ACCEPT_TERMS ' +
      'and HUB_HTTP_REDIRECT_PORT (the HTTP-01 challenge comes to port 80).',
    acmeDirectory,
  ),
  acmeDomains: setting('HUB_ACME_DOMAINS', '', 'Comma-separated names the certificate is for: hub.example.org', list),
  acmeEmail: setting('HUB_ACME_EMAIL', '', "Contact address for the CA's expiry notices.", file),
  acmeAcceptTerms: setting(
    'HUB_ACME_ACCEPT_TERMS',
    'no',
    "yes: you agree to the ACME CA's terms of service (Let's Encrypt's subscriber agreement).",
    yesNo,
  ),
  acmeCaFile: setting(
    'HUB_ACME_CA_FILE',
    '',
    "PEM of the CA that signed the ACME server's own HTTPS certificate (a test CA). Unset: the system's CAs.",
    file,
  ),
} as const;

type Tls = { readonly [K in keyof typeof TLS_SETTINGS]: ReturnType<(typeof TLS_SETTINGS)[K]['parse']> };

export function tlsProblems(c: Tls & { publicUrl: URL | undefined }): string[] {
  const problems: string[] = [];
  if (Boolean(c.sslCert) !== Boolean(c.sslKey)) problems.push('HUB_SSL_CERT and HUB_SSL_KEY go together: set both');
  if (c.acmeDirectory) {
    if (c.sslCert)
      problems.push('HUB_ACME_DIRECTORY obtains the certificate: leave HUB_SSL_CERT and HUB_SSL_KEY unset');
    if (c.acmeDomains.length === 0) problems.push('HUB_ACME_DIRECTORY is set: set HUB_ACME_DOMAINS');
    if (!c.acmeEmail) problems.push('HUB_ACME_DIRECTORY is set: set HUB_ACME_EMAIL');
    if (!c.acmeAcceptTerms)
      problems.push("HUB_ACME_DIRECTORY is set: read the CA's terms of service, then set HUB_ACME_ACCEPT_TERMS=yes");
    if (c.httpRedirectPort === 0)
      problems.push('HUB_ACME_DIRECTORY is set: set HUB_HTTP_REDIRECT_PORT (80) to answer the HTTP-01 challenge');
  } else if (c.httpRedirectPort !== 0 && !c.sslCert) {
    problems.push('HUB_HTTP_REDIRECT_PORT redirects to HTTPS: set HUB_SSL_CERT and HUB_SSL_KEY, or HUB_ACME_DIRECTORY');
  }
  if (c.httpRedirectPort !== 0 && !c.publicUrl)
    problems.push('HUB_HTTP_REDIRECT_PORT sends people to HUB_PUBLIC_URL: set it (https://hub.example.org)');
  if ((c.sslCert || c.acmeDirectory) && c.publicUrl?.protocol === 'http:')
    problems.push('Berth serves HTTPS: HUB_PUBLIC_URL must be https:// too');
  return problems;
}

/** Berth itself serves HTTPS (from files or ACME). */
export function servesTls(c: Pick<Tls, 'sslCert' | 'acmeDirectory'>): boolean {
  return Boolean(c.sslCert) || c.acmeDirectory !== undefined;
}
