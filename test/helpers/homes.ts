/**
 * Files in a user's home volume, written and read by a short container of berth/python as the
 * notebook user, the way the user's own server would: notebooks for batch jobs to run, and what
 * the jobs wrote. The volume carries the hub's label, so the test's cleanup removes it.
 */

import { demuxLogs } from '../../src/spawner/docker-server';
import { slug } from '../../src/spawner/naming';
import { docker } from './docker';

/** A notebook (nbformat 4) of code cells; a cell given as {tags, source} carries those tags. */
export function notebook(...cells: Array<string | { tags: string[]; source: string }>): string {
  return JSON.stringify({
    cells: cells.map((c, i) => ({
      cell_type: 'code',
      execution_count: null,
      id: `cell${i}`,
      metadata: typeof c === 'string' ? {} : { tags: c.tags },
      outputs: [],
      source: typeof c === 'string' ? c : c.source,
    })),
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    nbformat: 4,
    nbformat_minor: 5,
  });
}

async function inHome(hubName: string, user: string, script: string, env: string[]): Promise<string> {
  const volume = `${hubName}-home-${slug(user)}`;
  await docker.createVolume({ Name: volume, Labels: { 'berth.hub': hubName, 'berth.kind': 'home' } });
  const container = await docker.createContainer({
    Image: 'berth/python:latest',
    User: '1000:100',
    Entrypoint: ['python3', '-c', script],
    Cmd: [],
    Env: env,
    Labels: { 'berth.hub': hubName, 'berth.test': '' },
    HostConfig: { Mounts: [{ Type: 'volume', Source: volume, Target: '/home/jovyan' }], NetworkMode: 'none' },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const out = demuxLogs((await container.logs({ stdout: true, stderr: true })) as unknown as Buffer);
    if (StatusCode !== 0) throw new Error(`home helper failed (${StatusCode}): ${out}`);
    return out;
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/** Writes `content` to `path` (relative to the home), making its folder. */
export async function putFile(hubName: string, user: string, path: string, content: string): Promise<void> {
  const script =
    "import os; p = os.path.join('/home/jovyan', os.environ['P']); os.makedirs(os.path.dirname(p), exist_ok=True); " +
    "open(p, 'w').write(os.environ['C'])";
  await inHome(hubName, user, script, [`P=${path}`, `C=${content}`]);
}

/** The text of `path` in the home. */
export function readFile(hubName: string, user: string, path: string): Promise<string> {
  return inHome(hubName, user, "import os, sys; sys.stdout.write(open('/home/jovyan/' + os.environ['P']).read())", [
    `P=${path}`,
  ]);
}

/** Makes `link` in the home point at `target` (a link out of the home, say). */
export async function putLink(hubName: string, user: string, link: string, target: string): Promise<void> {
  await inHome(hubName, user, "import os; os.symlink(os.environ['T'], '/home/jovyan/' + os.environ['L'])", [
    `L=${link}`,
    `T=${target}`,
  ]);
}
