/**
 * Shared volumes (`berth volumes`, /hub/api/volumes): Docker volumes of this hub that groups mount
 * into their members' servers (groups/properties.ts), read-only or read-write. Docker is the truth:
 * a shared volume is a volume with this hub's labels and kind `shared`. A new one belongs to the
 * notebook user (uid 1000) with the group bit set, so every member with read-write can edit
 * every file in it.
 */
import type Docker from 'dockerode';
import { BerthError, badRequest, statusOf } from '../errors';
import type { VolumeMount } from '../groups/properties';
import { SERVER_USER } from './docker-container';
import { ignoreStatus, onEngine } from './docker-server';
import { LABEL, type Naming } from './naming';

export const VOLUME_NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
const NAME_LABEL = 'berth.volume';

export interface SharedVolume {
  name: string;
  /** ISO 8601 time it was made. */
  created: string;
}

export function checkVolumeName(raw: string): string {
  if (!VOLUME_NAME.test(raw))
    throw badRequest(
      'A volume name is 1 to 63 lowercase letters, digits, ".", "_" and "-", starting with a letter or digit.',
    );
  return raw;
}

/** Rejects when a volume a group mounts is gone (Docker would make an empty one of that name). */
export async function sharedVolumesExist(docker: Docker, names: Naming, mounts: VolumeMount[]): Promise<void> {
  for (const { volume } of mounts)
    await docker
      .getVolume(names.shared(volume))
      .inspect()
      .catch((err: unknown) => {
        if (statusOf(err) !== 404) throw err;
        throw new BerthError(500, `Your group's volume ${volume} is gone; ask an admin.`);
      });
}

/** The shared volumes as the hub sees them; DockerVolumes on the engine, a fake in tests. */
export interface Volumes {
  list(): Promise<SharedVolume[]>;
  /** Makes volume `name` (checked), owned by the notebook user; a 409 when it exists. */
  create(name: string): Promise<SharedVolume>;
  /** Deletes volume `name`; a 404 when there is none, a 409 while a server mounts it. */
  remove(name: string): Promise<void>;
}

export class DockerVolumes implements Volumes {
  constructor(
    private readonly docker: Docker,
    private readonly names: Naming,
    private readonly hubName: string,
    /** An image on the engine with a shell (the catalogue's default), to give a new volume its owner. */
    private readonly helperImage: () => Promise<string>,
  ) {}

  list(): Promise<SharedVolume[]> {
    return onEngine(async () => {
      const filters = JSON.stringify({ label: [`${LABEL.hub}=${this.hubName}`, `${LABEL.kind}=shared`] });
      const { Volumes } = await this.docker.listVolumes({ filters });
      return (Volumes ?? [])
        .map((v) => ({
          name: v.Labels?.[NAME_LABEL] ?? '',
          created: (v as { CreatedAt?: string }).CreatedAt ?? '',
        }))
        .filter((v) => VOLUME_NAME.test(v.name))
        .sort((a, b) => a.name.localeCompare(b.name));
    });
  }

  private async exists(name: string): Promise<boolean> {
    return (await this.list()).some((v) => v.name === name);
  }

  create(name: string): Promise<SharedVolume> {
    return onEngine(async () => {
      checkVolumeName(name);
      if (await this.exists(name)) throw new BerthError(409, `Volume ${name} exists already.`);
      const dockerName = this.names.shared(name);
      // Docker hands back any volume of that name, whoever made it: never take one over.
      if (await this.docker.getVolume(dockerName).inspect().catch(ignoreStatus(404)))
        throw new BerthError(409, `A Docker volume named ${dockerName} exists already; pick another name.`);
      await this.docker.createVolume({
        Name: dockerName,
        Labels: { ...this.names.labels('shared'), [NAME_LABEL]: name },
      });
      try {
        await this.giveToNotebookUser(dockerName);
      } catch (err) {
        await this.docker
          .getVolume(dockerName)
          .remove()
          .catch(() => undefined);
        throw err;
      }
      return (await this.list()).find((v) => v.name === name) ?? { name, created: new Date().toISOString() };
    });
  }

  /** Root made the volume; a short container (no network, only CHOWN) hands it to uid 1000, setgid. */
  private async giveToNotebookUser(dockerName: string): Promise<void> {
    const container = await this.docker.createContainer({
      Image: await this.helperImage(),
      User: '0',
      Entrypoint: ['sh', '-c', `chmod 2775 /v && chown ${SERVER_USER} /v`],
      Cmd: [],
      Labels: this.names.labels('shared'),
      HostConfig: {
        Mounts: [{ Type: 'volume', Source: dockerName, Target: '/v' }],
        NetworkMode: 'none',
        CapDrop: ['ALL'],
        CapAdd: ['CHOWN'],
        SecurityOpt: ['no-new-privileges'],
      },
    });
    try {
      await container.start();
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      if (StatusCode !== 0)
        throw new BerthError(500, `Could not give the new volume to the notebook user (exit ${StatusCode}).`);
    } finally {
      await container.remove({ force: true }).catch(ignoreStatus(404));
    }
  }

  remove(name: string): Promise<void> {
    return onEngine(async () => {
      if (!(await this.exists(name))) throw new BerthError(404, `No such volume: ${name}.`);
      await this.docker
        .getVolume(this.names.shared(name))
        .remove()
        .catch((err: unknown) => {
          if (statusOf(err) === 409)
            throw new BerthError(409, `Volume ${name} is mounted by a running server; stop it first.`);
          throw err;
        });
    });
  }
}
