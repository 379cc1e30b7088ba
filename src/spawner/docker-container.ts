/**
 * What a user's server container is, as Docker is asked to create it: the catalogue image, run
 * as the non-root notebook user, with every capability dropped, no-new-privileges, the image's
 * limits, the user's home volume as its only mount, this hub's labels, and its environment: for
 * Berth's own images the token only the proxy sends it, for every image JupyterHub's single-user
 * variables.
 */
import type Docker from 'dockerode';
import { singleUserEnv } from '../auth/single-user';
import type { CatalogueImage } from '../catalogue/catalogue';
import { IMAGE_LABEL } from '../catalogue/labels';
import type { VolumeMount } from '../groups/properties';
import { LABEL, type Naming } from './naming';

/** The uid:gid every catalogue image runs as (jovyan:users in images/python). */
export const SERVER_USER = '1000:100';
export const SERVER_PORT = 8888;
export const HOME = '/home/jovyan';
/** The token Berth's own images trust, in their environment: how a reattaching hub learns it again. */
export const TOKEN_ENV = 'BERTH_SERVER_TOKEN=';

export interface ServerSpec {
  user: string;
  /** The image as it is on the engine: its `imageId` is exactly what the catalogue, the build or the pull says. */
  image: CatalogueImage;
  /** NAME=value lines. */
  env: string[];
  network: string;
  /** Publish the server's port on 127.0.0.1 (a hub on the host reaches it there). */
  publish: boolean;
  /** The shared volumes its groups mount (read-only ones by the mount itself). */
  shared: VolumeMount[];
  /** On the internal network: no DNS server either (Docker's resolver would forward names out). */
  offline?: boolean;
}

export function serverContainer(names: Naming, spec: ServerSpec): Docker.ContainerCreateOptions {
  const { user, image } = spec;
  const { memory, cpu, pids } = image.limits;
  const published = { [`${SERVER_PORT}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: '' }] };
  return {
    name: names.container(user),
    Image: spec.image.imageId,
    User: SERVER_USER,
    Env: spec.env,
    Labels: { ...names.labels('server', user), [LABEL.image]: image.id, [IMAGE_LABEL.protocol]: image.protocol },
    ExposedPorts: { [`${SERVER_PORT}/tcp`]: {} },
    HostConfig: {
      Init: true,
      Mounts: [
        { Type: 'volume', Source: names.volume(user), Target: HOME },
        ...spec.shared.map((v) => ({
          Type: 'volume' as const,
          Source: names.shared(v.volume),
          Target: v.path,
          ReadOnly: v.mode === 'ro',
        })),
      ],
      NetworkMode: spec.network,
      ...(spec.offline ? { Dns: ['127.0.0.1'] } : {}),
      ...(spec.publish ? { PortBindings: published } : {}),
      Memory: memory,
      MemorySwap: memory,
      NanoCpus: Math.round(cpu * 1e9),
      PidsLimit: pids,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      RestartPolicy: { Name: 'no' },
    },
  };
}

/**
 * A server's environment: JupyterHub's single-user variables for every image (tools inside talk to
 * the hub with JUPYTERHUB_API_TOKEN), and for Berth's own the token it trusts.
 */
export function serverEnvironment(opts: {
  user: string;
  image: CatalogueImage;
  apiToken: string;
  apiUrl: string;
  token: string;
  publicUrl?: string;
  /** The groups' variables (never one the hub sets: groups/properties.ts refuses those names). */
  extra?: Record<string, string>;
}): string[] {
  const { user, image, apiToken, apiUrl, token, publicUrl } = opts;
  const listen = `0.0.0.0:${SERVER_PORT}`;
  const groups = Object.entries(opts.extra ?? {}).map(([k, v]) => `${k}=${v}`);
  const hub = [
    ...groups,
    ...singleUserEnv({ user, apiToken, apiUrl, listen, defaultUrl: image.defaultUrl, publicUrl }),
  ];
  if (image.protocol !== 'berth') return hub;
  return [...hub, `${TOKEN_ENV}${token}`, `BERTH_BASE_URL=/user/${user}/`, `BERTH_USER=${user}`];
}
