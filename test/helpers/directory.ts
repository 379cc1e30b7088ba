/**
 * A real LDAP directory for the tests: Debian's slapd with a throwaway database under a temporary
 * folder, on 127.0.0.1, plain (ldap://, StartTLS offered) and over TLS (ldaps://), with
 * certificates from the tests' own CA. People are under ou=people, groups (groupOfNames) under
 * ou=groups of dc=berth,dc=test.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from './redis';
import { stopProcess } from './run';
import type { TestCa } from './tls';
import { eventually } from './wait';

export const BASE = 'dc=berth,dc=test';
export const ADMIN_DN = `cn=admin,${BASE}`;
export const ADMIN_PASSWORD = 'directory-admin-password';

export interface TestDirectory {
  /** ldap://127.0.0.1:<port> */
  url: string;
  /** ldaps://127.0.0.1:<port> */
  tlsUrl: string;
  /** Runs an LDIF change (ldapmodify) as the directory's admin. */
  modify(ldif: string): void;
  stop(): Promise<void>;
}

export interface Person {
  uid: string;
  password: string;
  groups: string[];
}

function peopleLdif(people: Person[]): string {
  const groups = [...new Set(people.flatMap((p) => p.groups))];
  const entries = [
    `dn: ${BASE}\nobjectClass: dcObject\nobjectClass: organization\no: Berth test\ndc: berth`,
    `dn: ou=people,${BASE}\nobjectClass: organizationalUnit\nou: people`,
    `dn: ou=groups,${BASE}\nobjectClass: organizationalUnit\nou: groups`,
    ...people.map(
      (p) =>
        `dn: uid=${p.uid},ou=people,${BASE}\nobjectClass: inetOrgPerson\nuid: ${p.uid}\ncn: ${p.uid}\nsn: ${p.uid}\n` +
        `userPassword: ${p.password}`,
    ),
    ...groups.map(
      (g) =>
        `dn: cn=${g},ou=groups,${BASE}\nobjectClass: groupOfNames\ncn: ${g}\n` +
        people
          .filter((p) => p.groups.includes(g))
          .map((p) => `member: uid=${p.uid},ou=people,${BASE}`)
          .join('\n'),
    ),
  ];
  return `${entries.join('\n\n')}\n`;
}

export async function startDirectory(ca: TestCa, people: Person[]): Promise<TestDirectory> {
  const dir = fs.mkdtempSync(path.join(ca.dir, 'slapd-'));
  const { cert, key } = ca.issue('slapd');
  fs.mkdirSync(path.join(dir, 'db'));
  const conf = path.join(dir, 'slapd.conf');
  fs.writeFileSync(
    conf,
    [
      ...['core', 'cosine', 'nis', 'inetorgperson'].map((s) => `include /etc/ldap/schema/${s}.schema`),
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      `pidfile ${dir}/slapd.pid`,
      `TLSCACertificateFile ${ca.caFile}`,
      `TLSCertificateFile ${cert}`,
      `TLSCertificateKeyFile ${key}`,
      'database mdb',
      `directory ${dir}/db`,
      `suffix "${BASE}"`,
      `rootdn "${ADMIN_DN}"`,
      `rootpw ${ADMIN_PASSWORD}`,
      'access to attrs=userPassword by anonymous auth by self read by * none',
      'access to * by * read',
      '',
    ].join('\n'),
  );
  fs.writeFileSync(path.join(dir, 'people.ldif'), peopleLdif(people));
  execFileSync('slapadd', ['-f', conf, '-l', path.join(dir, 'people.ldif')], { stdio: ['ignore', 'ignore', 'pipe'] });
  const [port, tlsPort] = [await freePort(), await freePort()];
  const url = `ldap://127.0.0.1:${port}`;
  const tlsUrl = `ldaps://127.0.0.1:${tlsPort}`;
  const output: string[] = [];
  const child: ChildProcess = spawn('slapd', ['-f', conf, '-h', `${url}/ ${tlsUrl}/`, '-d', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  const ldapwhoami = () =>
    execFileSync('ldapwhoami', ['-x', '-H', url, '-D', ADMIN_DN, '-w', ADMIN_PASSWORD], { stdio: 'ignore' });
  await eventually(async () => {
    try {
      ldapwhoami();
      return true;
    } catch {
      if (child.exitCode !== null) throw new Error(`slapd exited: ${output.join('')}`);
      return false;
    }
  }, 'slapd answers');
  return {
    url,
    tlsUrl,
    modify(ldif) {
      execFileSync('ldapmodify', ['-x', '-H', url, '-D', ADMIN_DN, '-w', ADMIN_PASSWORD], {
        input: ldif,
        stdio: ['pipe', 'ignore', 'pipe'],
      });
    },
    async stop() {
      await stopProcess(child);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
