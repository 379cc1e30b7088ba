/**
 * Shared volumes kept in memory, for hubs on fakes (the API's checks and pages); the real ones
 * (spawner/shared-volumes.ts) are tested on the Docker engine.
 */
import { BerthError } from '../../src/errors';
import { checkVolumeName, type SharedVolume, type Volumes } from '../../src/spawner/shared-volumes';

export class FakeVolumes implements Volumes {
  private readonly made = new Map<string, SharedVolume>();

  async list(): Promise<SharedVolume[]> {
    return [...this.made.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async create(name: string): Promise<SharedVolume> {
    checkVolumeName(name);
    if (this.made.has(name)) throw new BerthError(409, `Volume ${name} exists already.`);
    const volume = { name, created: new Date().toISOString() };
    this.made.set(name, volume);
    return volume;
  }

  async remove(name: string): Promise<void> {
    if (!this.made.delete(name)) throw new BerthError(404, `No such volume: ${name}.`);
  }
}
