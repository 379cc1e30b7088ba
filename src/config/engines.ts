/**
 * Which engine runs the servers: one Docker engine (a container per user), or a Docker Swarm
 * (a service per user), whose nodes pull catalogue images from a registry; and how home volumes
 * are made (on the node, or on storage every node reaches).
 */
import { oneOf, setting } from './values';

export const ENGINE_SETTINGS = {
  spawner: setting(
    'HUB_SPAWNER',
    'docker',
    'docker: one container per user on DOCKER_HOST; swarm: one Swarm service per user, DOCKER_HOST being a swarm ' +
      'manager (needs HUB_REGISTRY).',
    oneOf('docker', 'swarm'),
  ),
  registry: setting(
    'HUB_REGISTRY',
    '',
    'host:port of the registry every swarm node pulls catalogue images from; Berth pushes them there and names ' +
      'them by digest.',
    (raw) => {
      if (raw !== '' && !/^[a-z0-9.-]+(:\d+)?$/i.test(raw)) throw new Error('must be host or host:port');
      return raw;
    },
  ),
  homeVolumeDriver: setting(
    'HUB_HOME_VOLUME_DRIVER',
    'local',
    "Docker volume driver of users' home volumes.",
    (raw) => {
      if (!/^[a-z0-9][a-z0-9_.:/-]*$/i.test(raw)) throw new Error('must be a volume driver name, e.g. local');
      return raw;
    },
  ),
  homeVolumeOptions: setting(
    'HUB_HOME_VOLUME_OPTIONS',
    '',
    "The home volume driver's options, key=value separated by ';'; {user} becomes the user's name made safe " +
      'for paths. Set, homes are on storage every node reaches, e.g. NFS: ' +
      "type=nfs;o=addr=10.0.0.5,rw,nfsvers=4;device=:/homes/{user} (each user's folder must exist), and on a " +
      'swarm a server may start on any node.',
    (raw) => {
      const options: Record<string, string> = {};
      for (const part of raw.split(';').filter((p) => p.trim() !== '')) {
        const at = part.indexOf('=');
        if (at < 1) throw new Error(`"${part}" is not key=value`);
        options[part.slice(0, at).trim()] = part.slice(at + 1).trim();
      }
      return options;
    },
  ),
} as const;

type Engines = { readonly [K in keyof typeof ENGINE_SETTINGS]: ReturnType<(typeof ENGINE_SETTINGS)[K]['parse']> };

export function engineProblems(c: Engines): string[] {
  return c.spawner === 'swarm' && !c.registry ? ['HUB_SPAWNER=swarm: set HUB_REGISTRY'] : [];
}
