/** What a DockerSpawner (and a SwarmSpawner, which adds its registry) is made with. */
import type { ImageBuilder } from '../catalogue/builder';
import type { Logger } from '../log';
import type { ServerAccess } from './docker-network';
import type { HomeVolume } from './home-volume';

export interface DockerSpawnerOptions {
  hubName: string;
  version: string;
  /**
   * port: publish 8888 on 127.0.0.1 (hub on the host); network: reach servers by name on
   * `network` (hub in a container); auto: network when this process runs in a container of the
   * same Docker engine, else port.
   */
  access: 'auto' | ServerAccess;
  network: string;
  spawnTimeoutMs: number;
  httpTimeoutMs: number;
  log: Logger;
  /** Builds catalogue images a start needs that are not built yet (HUB_BUILD_IMAGES=missing). */
  builder?: ImageBuilder;
  /** The port of the hub's API for servers (HUB_SERVER_API_PORT), on the address `prepare` finds. */
  serverApiPort: number;
  /** HUB_PUBLIC_URL's origin, when set: servers are told where people reach them. */
  publicUrl?: string;
  /** HUB_HOME_VOLUME_*: how home volumes are made; Docker's local driver when unset. */
  homeVolume?: HomeVolume;
}
