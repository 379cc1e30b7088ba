/**
 * A certificate from an ACME CA (Let's Encrypt; Pebble in the tests), obtained with the HTTP-01
 * challenge, which the plain-HTTP port answers, and renewed 30 days before it expires. The account
 * key, the certificate and its key are kept under HUB_DATA_DIR/acme (0600), so that a restart
 * reuses them, and `berth proxy` replicas can serve the same files (HUB_SSL_CERT/HUB_SSL_KEY).
 * acme-client is loaded by start() only: loading it took about 0.3 s of every hub's start-up
 * (0.8 s of module loading became 0.46 s), which a hub without ACME, and a restart after a
 * crash, should not pay.
 */
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import type { Logger } from '../log';
import { type CertificateSource, checkPair, type KeyPair } from './tls';

export interface AcmeSettings {
  directory: URL;
  domains: readonly string[];
  email: string;
  /** PEM of a CA to trust for the ACME server itself (a test CA); undefined: the system's. */
  caFile?: string;
  /** Where the account key and the certificate are kept. */
  dir: string;
}

const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;
const CHECK_EVERY_MS = 12 * 3600 * 1000;

export class AcmeCertificates implements CertificateSource {
  private pair?: KeyPair;
  private readonly listeners: Array<(pair: KeyPair) => void> = [];
  /** Open HTTP-01 challenges: token → key authorization. */
  private readonly challenges = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  private acme?: typeof import('acme-client');
  private readonly certFile: string;
  private readonly keyFile: string;

  constructor(
    private readonly settings: AcmeSettings,
    private readonly log: Logger,
  ) {
    fs.mkdirSync(settings.dir, { recursive: true, mode: 0o700 });
    this.certFile = path.join(settings.dir, 'cert.pem');
    this.keyFile = path.join(settings.dir, 'key.pem');
  }

  /** A valid certificate: the one on disk while it is not due, else a new one. Then renews on a timer. */
  async start(): Promise<void> {
    this.acme = await import('acme-client');
    if (this.settings.caFile) {
      // acme-client talks through its own axios instance: trust the test CA there only.
      this.acme.axios.defaults.httpsAgent = new https.Agent({ ca: fs.readFileSync(this.settings.caFile) });
    }
    const onDisk = this.fromDisk();
    if (onDisk && !this.due(onDisk)) this.pair = onDisk;
    else
      await this.renew().catch((err: Error) => {
        // Due, but still valid: serve it while the CA does not answer, and try again on the timer.
        if (!onDisk || !this.stillValid(onDisk)) throw err;
        this.log.error('renewing the certificate failed; serving the one on disk meanwhile', { reason: err.message });
        this.pair = onDisk;
      });
    this.timer = setInterval(() => {
      if (this.pair && this.due(this.pair))
        this.renew().catch((err: Error) =>
          this.log.error('renewing the certificate failed; will try again', { reason: err.message }),
        );
    }, CHECK_EVERY_MS);
    this.timer.unref();
  }

  private fromDisk(): KeyPair | undefined {
    try {
      const pair = { cert: fs.readFileSync(this.certFile), key: fs.readFileSync(this.keyFile) };
      checkPair(pair);
      return pair;
    } catch {
      return undefined;
    }
  }

  /** The acme-client module, loaded by start(). */
  private get lib(): typeof import('acme-client') {
    if (!this.acme) throw new Error('acme-client not loaded: start() first');
    return this.acme;
  }

  private due(pair: KeyPair): boolean {
    const info = this.lib.crypto.readCertificateInfo(pair.cert);
    const names = new Set([info.domains.commonName, ...info.domains.altNames]);
    const covers = this.settings.domains.every((d) => names.has(d));
    return !covers || info.notAfter.getTime() - Date.now() < RENEW_BEFORE_MS;
  }

  private stillValid(pair: KeyPair): boolean {
    return this.lib.crypto.readCertificateInfo(pair.cert).notAfter.getTime() > Date.now();
  }

  private async accountKey(): Promise<Buffer> {
    const file = path.join(this.settings.dir, 'account.key');
    if (fs.existsSync(file)) return fs.readFileSync(file);
    const key = await this.lib.crypto.createPrivateKey();
    fs.writeFileSync(file, key, { mode: 0o600 });
    return key;
  }

  private async renew(): Promise<void> {
    const { directory, domains, email } = this.settings;
    this.log.info('asking the ACME CA for a certificate', { directory: directory.href, domains });
    const client = new this.lib.Client({ directoryUrl: directory.href, accountKey: await this.accountKey() });
    const [key, csr] = await this.lib.crypto.createCsr({ commonName: domains[0], altNames: [...domains] });
    const cert = await client.auto({
      csr,
      email,
      termsOfServiceAgreed: true,
      challengePriority: ['http-01'],
      // The CA checks the challenge itself; a check from here would ask port 80 of a name that may
      // not lead back to this machine from inside it.
      skipChallengeVerification: true,
      challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
        this.challenges.set(challenge.token, keyAuthorization);
      },
      challengeRemoveFn: async (_authz, challenge) => {
        this.challenges.delete(challenge.token);
      },
    });
    const pair = { cert: Buffer.from(cert), key };
    const expires = checkPair(pair);
    fs.writeFileSync(this.keyFile, key, { mode: 0o600 });
    fs.writeFileSync(this.certFile, pair.cert, { mode: 0o600 });
    const renewed = this.pair !== undefined;
    this.pair = pair;
    if (renewed) for (const listener of this.listeners) listener(pair);
    this.log.info('certificate obtained', { domains, expires, file: this.certFile });
  }

  current(): KeyPair {
    if (!this.pair) throw new Error('no certificate yet: start() first');
    return this.pair;
  }

  onChange(listener: (pair: KeyPair) => void): void {
    this.listeners.push(listener);
  }

  challengeAnswer(token: string): string | undefined {
    return this.challenges.get(token);
  }

  close(): void {
    clearInterval(this.timer);
  }
}
