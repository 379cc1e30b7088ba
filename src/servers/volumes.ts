/**
 * Shared volumes and the groups that mount them: what the API and `berth volumes` list, and the
 * one way to delete a volume (refused, naming the groups and their members, while a group mounts it).
 */
import { BerthError } from '../errors';
import type { GroupProperties } from '../groups/properties';
import { checkVolumeName, type SharedVolume, type Volumes } from '../spawner/shared-volumes';
import type { GroupStore } from '../store/groups';

export interface VolumeDeps {
  groups: GroupStore;
  volumes: Volumes;
}

/** Every shared volume with the groups that mount it. */
export async function listVolumes(deps: VolumeDeps): Promise<Array<SharedVolume & { groups: string[] }>> {
  const used = new Map<string, string[]>();
  for (const [group, properties] of await deps.groups.allProperties())
    for (const v of (properties as GroupProperties).volumes ?? [])
      used.set(v.volume, [...(used.get(v.volume) ?? []), group]);
  return (await deps.volumes.list()).map((v) => ({ ...v, groups: used.get(v.name) ?? [] }));
}

export async function removeVolume(deps: VolumeDeps, raw: string): Promise<void> {
  const name = checkVolumeName(raw);
  const using = (await listVolumes(deps)).find((v) => v.name === name)?.groups ?? [];
  if (using.length > 0) {
    const members = (await Promise.all(using.map((g) => deps.groups.get(g)))).flatMap((g) => g?.users ?? []);
    const users = [...new Set(members)].sort().join(', ') || 'none';
    throw new BerthError(
      409,
      `Volume ${name} is mounted by group(s) ${using.join(', ')} (users: ${users}); take it out of their properties first.`,
    );
  }
  await deps.volumes.remove(name);
}
