/**
 * What a user's server is on Docker Swarm, as the manager is asked to create it: a service with
 * one task and no restarts (a server that dies is reported, as on one engine), from the image by
 * its registry digest so that every node runs exactly the same bytes, with the container's
 * hardening (non-root, every capability dropped, limits, the home volume its only mount), memory
 * and CPU reserved so that Swarm places it on a node with room, and constrained to the node that
 * keeps the user's home and to the node labels the image needs.
 */
import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import type { CatalogueImage } from '../catalogue/catalogue';
import { IMAGE_LABEL } from '../catalogue/labels';
import type { Grants } from '../groups/properties';
import { HOME, SERVER_PORT, SERVER_USER } from './docker-container';
import { ignoreStatus } from './docker-server';
import { driverOptions, type HomeVolume } from './home-volume';
import { LABEL, type Naming } from './naming';

export interface ServiceSpec {
  user: string;
  image: CatalogueImage;
  /** The image as every node pulls it: registry/name@sha256:... */
  reference: string;
  env: string[];
  network: string;
  /** Node constraints: the home's node, and the node labels the image needs. */
  constraints: string[];
  home: HomeVolume;
}

/** What a group gives that a swarm cannot give yet, said for the user; undefined when nothing. */
export function notOnSwarm(grants: Grants | undefined, image: CatalogueImage): string | undefined {
  if (grants?.volumes.length)
    return "Your group's shared folders work on one Docker engine only, not yet on this swarm; ask an admin.";
  if (grants?.network === 'none' || image.network === 'none')
    return 'Servers without internet work on one Docker engine only, not yet on this swarm; ask an admin.';
  return undefined;
}

/** Swarm takes service names up to 63 characters and config names up to 64, suffixes included. */
const MAX_NAME = 50;

/** A name that fits: a long one keeps its start and ends in a digest of the whole (still one per user). */
export function swarmName(name: string): string {
  if (name.length <= MAX_NAME) return name;
  return `${name.slice(0, MAX_NAME - 13)}-${createHash('sha256').update(name).digest('hex').slice(0, 12)}`;
}

/** The hub's names, fitted to Swarm's limits (the labels keep the whole username). */
export function swarmNaming(names: Naming): Naming {
  return { ...names, container: (u) => swarmName(names.container(u)), volume: (u) => swarmName(names.volume(u)) };
}

export function serverService(names: Naming, spec: ServiceSpec): Docker.CreateServiceOptions {
  const { user, image } = spec;
  const { memory, cpu, pids } = image.limits;
  const labels = { ...names.labels('server', user), [LABEL.image]: image.id, [IMAGE_LABEL.protocol]: image.protocol };
  return {
    Name: names.container(user),
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: spec.reference,
        User: SERVER_USER,
        Env: spec.env,
        Labels: labels,
        Init: true,
        Mounts: [
          {
            Type: 'volume',
            Source: names.volume(user),
            Target: HOME,
            VolumeOptions: {
              NoCopy: false,
              Labels: names.labels('home', user),
              DriverConfig: { Name: spec.home.driver, Options: driverOptions(spec.home, user) },
            },
          },
        ],
        CapabilityDrop: ['ALL'],
        // Swarm's API has no no-new-privileges before 1.46; with every capability dropped and a
        // non-root user, a setuid binary still gains no capability.
      },
      Resources: {
        Limits: { MemoryBytes: memory, NanoCPUs: Math.round(cpu * 1e9), Pids: pids },
        Reservations: { MemoryBytes: memory, NanoCPUs: Math.round(cpu * 1e9) },
      },
      RestartPolicy: { Condition: 'none', MaxAttempts: 0 },
      Placement: { Constraints: spec.constraints },
      Networks: [{ Target: spec.network }],
    },
    Mode: { Replicated: { Replicas: 1 } },
    EndpointSpec: {
      // DNS round robin: Swarm's virtual IPs need IPVS, which some kernels lack.
      Mode: 'dnsrr',
      // Published on its node (mode host): the hub reaches the server there, inside or outside the swarm.
      Ports: [{ Protocol: 'tcp', TargetPort: SERVER_PORT, PublishMode: 'host' }],
    },
  } as Docker.CreateServiceOptions;
}

/** The user's own overlay network (made when missing): their server and jobs, and nobody else's. */
export async function userNetwork(docker: Docker, names: Naming, user: string): Promise<string> {
  const name = `${names.container(user)}-net`;
  const found = await docker.listNetworks({ filters: JSON.stringify({ name: [name] }) });
  if (!found.some((n) => n.Name === name))
    await docker
      .createNetwork({ Name: name, Driver: 'overlay', Attachable: true, Labels: names.labels('network', user) })
      .catch(ignoreStatus(409));
  return name;
}
