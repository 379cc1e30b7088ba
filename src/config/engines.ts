/**
 * Which engine runs the servers: one Docker engine (a container per user), or a Docker Swarm
 * (a service per user), whose nodes pull catalogue images from a registry.
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
} as const;

type Engines = { readonly [K in keyof typeof ENGINE_SETTINGS]: ReturnType<(typeof ENGINE_SETTINGS)[K]['parse']> };

export function engineProblems(c: Engines): string[] {
  return c.spawner === 'swarm' && !c.registry ? ['HUB_SPAWNER=swarm: set HUB_REGISTRY'] : [];
}
