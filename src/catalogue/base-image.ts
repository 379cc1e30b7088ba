/**
 * Base images without a registry, and the plumbing builds share: a Debian release that cannot be
 * pulled (debian:bookworm, debian:trixie) is made from Debian's mirror with debootstrap and
 * imported; the engine's progress streams are followed line by line.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { BerthError, statusOf } from '../errors';

/** Base images Berth can make without a registry: Debian releases, by their suite names. */
const OFFLINE_BASE = /^debian:(bookworm|trixie)$/;
const DEBIAN_MIRROR = 'http://deb.debian.org/debian';

/** The image's labels, or undefined when there is no such image. */
export async function imageLabels(docker: Docker, ref: string): Promise<Record<string, string> | undefined> {
  try {
    return (await docker.getImage(ref).inspect()).Config.Labels ?? {};
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

/** How a build reports: a step per image (or base), and the output lines within it. */
export interface BuildProgress {
  step(message: string): void;
  detail(line: string): void;
}

type Say = (line: string) => void;

export function follow(docker: Docker, stream: Readable, say: Say): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, events: Array<{ error?: string }>) => {
        const failed = err?.message ?? events.find((e) => e.error)?.error;
        if (failed) reject(new Error(failed));
        else resolve();
      },
      (event: { stream?: string; status?: string; progress?: string; error?: string }) => {
        const text = event.stream ?? (event.status ? `${event.status} ${event.progress ?? ''}` : event.error);
        for (const line of (text ?? '').split('\n')) if (line.trim()) say(line.trimEnd());
      },
    );
  });
}

function run(cmd: string, args: string[], say: Say): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const onData = (d: Buffer) => {
      tail = (tail + d.toString()).slice(-4000);
      for (const line of d.toString().split('\n')) if (line.trim()) say(line.trimEnd());
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? new Error(`${cmd} is not installed (apt-get install ${cmd})`) : err),
    );
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code}: ${tail.slice(-500)}`)),
    );
  });
}

/** debian:<suite> without a registry: debootstrap a minimal rootfs and import it. */
async function debootstrapBase(docker: Docker, ref: string, progress: BuildProgress): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-rootfs-'));
  const say = progress.detail;
  const [repo, suite] = ref.split(':');
  try {
    progress.step(`${ref} cannot be pulled; building it with debootstrap (about a minute)`);
    await run('debootstrap', ['--variant=minbase', suite, dir, DEBIAN_MIRROR], say);
    const sources = [
      `deb ${DEBIAN_MIRROR} ${suite} main`,
      `deb ${DEBIAN_MIRROR} ${suite}-updates main`,
      `deb http://deb.debian.org/debian-security ${suite}-security main`,
    ];
    fs.writeFileSync(path.join(dir, 'etc/apt/sources.list'), `${sources.join('\n')}\n`);
    fs.rmSync(path.join(dir, 'etc/apt/sources.list.d/debian.sources'), { force: true });
    fs.rmSync(path.join(dir, 'var/cache/apt/archives'), { recursive: true, force: true });
    const tar = spawn('tar', ['-C', dir, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const changes = ['CMD ["bash"]'];
    const stream = (await docker.importImage(tar.stdout as unknown as string, {
      repo,
      tag: suite,
      changes,
    })) as unknown as Readable;
    await follow(docker, stream, say);
    say(`imported ${ref}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Makes `ref` present: pull it, or for a Debian release build it offline when the pull fails. */
export async function ensureBase(docker: Docker, ref: string, progress: BuildProgress): Promise<void> {
  if (await imageLabels(docker, ref)) return;
  try {
    progress.step(`pulling ${ref}`);
    await follow(docker, (await docker.pull(ref)) as Readable, progress.detail);
  } catch (err) {
    if (!OFFLINE_BASE.test(ref))
      throw new BerthError(500, `Base image ${ref} is missing and cannot be pulled: ${(err as Error).message}`);
    await debootstrapBase(docker, ref, progress);
  }
}
