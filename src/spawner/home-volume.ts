/**
 * How users' home volumes are made: by Docker's local driver on the engine that runs the server
 * (the default: on a swarm the home stays on its node), or by a driver with options that put
 * every home on storage all nodes reach (HUB_HOME_VOLUME_DRIVER and HUB_HOME_VOLUME_OPTIONS, e.g.
 * NFS through the local driver), so a server may start anywhere.
 */
import type Docker from 'dockerode';
import { type Naming, slug } from './naming';

export interface HomeVolume {
  driver: string;
  /** Driver options; `{user}` in a value becomes the user's slug (never the raw name, so never a path). */
  options: Record<string, string>;
}

export const ON_THE_NODE: HomeVolume = { driver: 'local', options: {} };

export function spansNodes(home: HomeVolume): boolean {
  return home.driver !== 'local' || Object.keys(home.options).length > 0;
}

/** The driver's options for `user`'s home. */
export function driverOptions(home: HomeVolume, user: string): Record<string, string> {
  return Object.fromEntries(Object.entries(home.options).map(([k, v]) => [k, v.replaceAll('{user}', slug(user))]));
}

/** Makes the user's home volume (creating an existing volume returns it unchanged). */
export async function ensureHomeVolume(docker: Docker, names: Naming, home: HomeVolume, user: string): Promise<void> {
  await docker.createVolume({
    Name: names.volume(user),
    Labels: names.labels('home', user),
    Driver: home.driver,
    DriverOpts: driverOptions(home, user),
  });
}
