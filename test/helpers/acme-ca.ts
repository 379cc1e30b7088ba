/**
 * A real ACME CA for the tests: Debian's Pebble (Let's Encrypt's test CA) on 127.0.0.1, serving
 * its API with a certificate from the tests' own CA, resolving every name to 127.0.0.1 through
 * pebble-challtestsrv's DNS, and validating HTTP-01 challenges on `httpPort` (the hub's plain-HTTP
 * port). It signs with a root it makes at start; `root()` fetches it, for clients to trust.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { freePort } from './redis';
import { stopProcess } from './run';
import type { TestCa } from './tls';
import { eventually } from './wait';

export interface TestAcmeCa {
  /** The ACME directory URL. */
  directory: string;
  /** PEM of the root Pebble issues under. */
  root(): Promise<string>;
  stop(): Promise<void>;
}

function started(command: string, args: string[], env: Record<string, string>, output: string[]): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  return child;
}

function fetchWithCa(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

export async function startAcmeCa(ca: TestCa, httpPort: number): Promise<TestAcmeCa> {
  const { cert, key } = ca.issue('pebble');
  const [port, management, dns, dnsManagement] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const config = path.join(ca.dir, 'pebble.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${port}`,
        managementListenAddress: `127.0.0.1:${management}`,
        certificate: cert,
        privateKey: key,
        httpPort,
        tlsPort: await freePort(),
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  );
  const output: string[] = [];
  const dnsServer = started(
    'pebble-challtestsrv',
    [
      '-dns01',
      `127.0.0.1:${dns}`,
      '-http01',
      '',
      '-https01',
      '',
      '-tlsalpn01',
      '',
      '-management',
      `127.0.0.1:${dnsManagement}`,
      '-defaultIPv4',
      '127.0.0.1',
      '-defaultIPv6',
      '',
    ],
    {},
    output,
  );
  // No random sleeps before validating, and no deliberately refused nonces: the tests stay quick.
  const pebble = started(
    'pebble',
    ['-config', config, '-dnsserver', `127.0.0.1:${dns}`],
    { PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' },
    output,
  );
  const caPem = fs.readFileSync(ca.caFile);
  const directory = `https://127.0.0.1:${port}/dir`;
  await eventually(async () => {
    if (pebble.exitCode !== null || dnsServer.exitCode !== null) throw new Error(`pebble exited: ${output.join('')}`);
    return (await fetchWithCa(directory, caPem).catch(() => ({ status: 0 }))).status === 200;
  }, 'Pebble answers');
  return {
    directory,
    async root() {
      const { status, body } = await fetchWithCa(`https://127.0.0.1:${management}/roots/0`, caPem);
      if (status !== 200) throw new Error(`Pebble's root: HTTP ${status}`);
      return body;
    },
    async stop() {
      await Promise.all([stopProcess(pebble), stopProcess(dnsServer)]);
    },
  };
}
