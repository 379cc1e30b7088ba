/**
 * Throwaway certificates for the tests, made with openssl: a CA of their own, and server
 * certificates it signs for 127.0.0.1 and localhost. Clients trust that CA explicitly (never
 * "ignore certificate errors").
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestCa {
  dir: string;
  /** PEM of the CA's certificate, for clients to trust. */
  caFile: string;
  /** A certificate and key for 127.0.0.1 and localhost, signed by the CA; `name` keeps several apart. */
  issue(name: string, days?: number): { cert: string; key: string };
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function makeCa(): TestCa {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-ca-'));
  openssl(
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2'].concat([
      '-subj',
      '/CN=Berth test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign',
    ]),
    dir,
  );
  return {
    dir,
    caFile: path.join(dir, 'ca.crt'),
    issue(name, days = 2) {
      const key = path.join(dir, `${name}.key`);
      const cert = path.join(dir, `${name}.crt`);
      openssl(
        ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', `${name}.csr`, '-subj', `/CN=${name}`],
        dir,
      );
      fs.writeFileSync(
        path.join(dir, `${name}.ext`),
        'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n',
      );
      openssl(
        [
          'x509',
          '-req',
          '-in',
          `${name}.csr`,
          '-CA',
          'ca.crt',
          '-CAkey',
          'ca.key',
          '-CAcreateserial',
          '-out',
          cert,
        ].concat(['-days', String(days), '-extfile', `${name}.ext`]),
        dir,
      );
      fs.chmodSync(key, 0o644);
      return { cert, key };
    },
    remove() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
