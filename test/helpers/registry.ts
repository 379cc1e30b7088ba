/**
 * A real image registry for tests: Debian's docker-registry (the distribution registry), run by
 * the test on 127.0.0.1 with storage in a temporary folder and no authentication. The Docker
 * engine pulls from and pushes to 127.0.0.1 registries without TLS.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exited } from './cli';
import { freePort } from './redis';
import { mustRun, run } from './run';
import { eventually } from './wait';

export interface TestRegistry {
  /** host:port, the prefix of the registry's image references. */
  address: string;
  stop(): Promise<void>;
}

export async function startRegistry(): Promise<TestRegistry> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-registry-'));
  const port = await freePort();
  const config = path.join(dir, 'config.yml');
  fs.writeFileSync(
    config,
    [
      'version: 0.1',
      'log: { level: warn }',
      `storage: { filesystem: { rootdirectory: ${path.join(dir, 'data')} }, delete: { enabled: true } }`,
      `http: { addr: "127.0.0.1:${port}" }`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr?.on('data', (d) => (output = (output + d).slice(-2000)));
  const address = `127.0.0.1:${port}`;
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`docker-registry exited: ${output}`);
      return (await fetch(`http://${address}/v2/`).catch(() => undefined))?.status === 200;
    },
    'the registry answers',
    20_000,
  );
  return {
    address,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited(child);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * An image of its own in `registry` (a layer of random bytes over the stock single-user image,
 * so that pulling it downloads something), pushed, and gone from the engine; resolves its reference.
 */
export async function pushStockImage(registry: TestRegistry, name: string): Promise<string> {
  const reference = `${registry.address}/lab/${name}:2026-12-01`;
  const dockerfile = 'FROM berth/stock-singleuser:latest\nRUN head -c 8388608 /dev/urandom > /tmp/berth-blob\n';
  await mustRun('docker', ['build', '-q', '-t', reference, '-'], { input: dockerfile, timeoutMs: 300_000 });
  await mustRun('docker', ['push', '-q', reference], { timeoutMs: 300_000 });
  await mustRun('docker', ['rmi', reference]);
  return reference;
}

/** A registry holding one pushed image, and a folder of images (HUB_IMAGES_DIR) whose catalogue file lists it. */
export interface RegistryCatalogue {
  registry: TestRegistry;
  /** The pushed image's reference in the registry. */
  reference: string;
  /** The folder to give the hub as HUB_IMAGES_DIR. */
  dir: string;
  /** Writes the catalogue file: `images:` and these lines. */
  write(lines: string[]): void;
  /** Removes the image from the engine (if a test pulled it), stops the registry, removes the folder. */
  close(): Promise<void>;
}

export async function registryCatalogue(name: string): Promise<RegistryCatalogue> {
  const registry = await startRegistry();
  const reference = await pushStockImage(registry, name);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-catalogue-'));
  return {
    registry,
    reference,
    dir,
    write(lines) {
      fs.writeFileSync(path.join(dir, 'catalogue.yaml'), `${['images:', ...lines].join('\n')}\n`);
    },
    async close() {
      await run('docker', ['rmi', '--force', reference]);
      await registry.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
