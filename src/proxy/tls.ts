/**
 * HTTPS in front: where the certificate comes from (files an admin renews, or ACME), how a new one
 * reaches the running server without a restart (`setSecureContext`), and the plain-HTTP port that
 * only redirects to HTTPS and answers ACME's HTTP-01 challenges.
 */

import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import tls from 'node:tls';
import type { Logger } from '../log';

export interface KeyPair {
  cert: Buffer;
  key: Buffer;
}

/** A certificate that may change while Berth runs. */
export interface CertificateSource {
  current(): KeyPair;
  /** Calls `listener` with each new certificate. */
  onChange(listener: (pair: KeyPair) => void): void;
  /** The key authorization for an ACME HTTP-01 token, while a challenge for it is open. */
  challengeAnswer(token: string): string | undefined;
  close(): void;
}

/** Throws when `pair` is not a certificate and its key, matching, and says when it expires. */
export function checkPair(pair: KeyPair): string {
  tls.createSecureContext(pair);
  return new X509Certificate(pair.cert).validTo;
}

/** HUB_SSL_CERT and HUB_SSL_KEY, read again whenever either file changes (a renewal by certbot, say). */
export class CertificateFiles implements CertificateSource {
  private pair: KeyPair;
  private readonly listeners: Array<(pair: KeyPair) => void> = [];

  constructor(
    private readonly certFile: string,
    private readonly keyFile: string,
    private readonly log: Logger,
    pollMs = 2_000,
  ) {
    this.pair = this.read();
    log.info('serving HTTPS', { cert: certFile, expires: checkPair(this.pair) });
    for (const file of [certFile, keyFile]) fs.watchFile(file, { interval: pollMs }, () => this.reload());
  }

  private read(): KeyPair {
    return { cert: fs.readFileSync(this.certFile), key: fs.readFileSync(this.keyFile) };
  }

  /** A renewal writes two files: a pair that does not match yet is skipped, the old one stays. */
  private reload(): void {
    try {
      const pair = this.read();
      const expires = checkPair(pair);
      if (pair.cert.equals(this.pair.cert) && pair.key.equals(this.pair.key)) return;
      this.pair = pair;
      for (const listener of this.listeners) listener(pair);
      this.log.info('certificate reloaded', { cert: this.certFile, expires });
    } catch (err) {
      this.log.warn('certificate files changed but do not make a pair yet; still serving the old one', {
        cert: this.certFile,
        reason: (err as Error).message,
      });
    }
  }

  current(): KeyPair {
    return this.pair;
  }

  onChange(listener: (pair: KeyPair) => void): void {
    this.listeners.push(listener);
  }

  challengeAnswer(): undefined {
    return undefined;
  }

  close(): void {
    for (const file of [this.certFile, this.keyFile]) fs.unwatchFile(file);
  }
}

const CHALLENGE_PATH = /^\/\.well-known\/acme-challenge\/([A-Za-z0-9_-]{1,200})$/;

/**
 * The plain-HTTP port: answers ACME challenges, and sends everything else to the same path on
 * `httpsOrigin` (308, so a POST stays a POST). The Host header is never used to build the target.
 */
export function redirectServer(httpsOrigin: string, certificates: CertificateSource): http.Server {
  return http.createServer({ maxHeaderSize: 16 * 1024 }, (req, res) => {
    const path = (req.url ?? '/').startsWith('/') ? (req.url ?? '/') : '/';
    const token = CHALLENGE_PATH.exec(path)?.[1];
    if (token !== undefined) {
      const answer = certificates.challengeAnswer(token);
      res.writeHead(answer ? 200 : 404, { 'content-type': 'text/plain' }).end(answer ?? 'no such challenge');
      return;
    }
    res.writeHead(308, { location: `${httpsOrigin}${path}`, 'content-type': 'text/plain' }).end('Use HTTPS.\n');
  });
}
