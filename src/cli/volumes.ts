/**
 * `berth volumes create|list|rm`: the shared volumes groups mount (their properties say where).
 */
import { listVolumes, removeVolume } from '../servers/volumes';
import { formatTable } from './io';
import type { Runtime } from './runtime';

export async function createVolume(rt: Runtime, name: string): Promise<string> {
  const volume = await rt.volumes.create(name);
  return `Created volume ${volume.name}; a group mounts it through its properties (volumes).`;
}

export async function volumesList(rt: Runtime, format: 'table' | 'json'): Promise<string> {
  const all = await listVolumes(rt);
  if (format === 'json') return JSON.stringify(all, null, 2);
  if (all.length === 0) return 'No shared volumes yet: make one with `berth volumes create <name>`.';
  return formatTable(
    ['NAME', 'GROUPS', 'CREATED'],
    all.map((v) => [v.name, v.groups.join(',') || '-', v.created]),
  );
}

export async function deleteVolume(rt: Runtime, name: string): Promise<string> {
  await removeVolume(rt, name);
  return `Deleted volume ${name} and every file in it.`;
}
